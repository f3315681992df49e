"""Operator controls: trading state changes, kill, resume and closing by hand (issue 17)."""
