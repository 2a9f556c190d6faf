"""Template filters of the case domain."""
