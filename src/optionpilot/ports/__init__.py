"""The Protocols the engine talks to; adapters implement them."""
