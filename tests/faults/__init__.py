"""The fault suite: a real worker, its own Redis, and something that breaks."""
