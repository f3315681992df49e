"""Notifiers: tell a person what needs them (a file to tail, a chat webhook), never blocking trading."""
