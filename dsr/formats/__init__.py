"""Date and number formats per language."""
