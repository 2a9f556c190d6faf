"""The answer: packages of the subject's data (and, to come, the report and letters)."""
