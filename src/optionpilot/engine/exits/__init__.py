"""The position manager stage (every position against its exit rules) and the roll orders."""
