"""The conversation itself: memory, phrases, confirmation and spoken messages."""
