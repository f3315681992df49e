"""News shared by every source: tagging, deduplication, merging; a news-file source and the broker's news."""
