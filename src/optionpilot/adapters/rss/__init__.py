"""RSS and Atom feeds as a news source: config, fetching (conditional requests), parsing, errors."""
