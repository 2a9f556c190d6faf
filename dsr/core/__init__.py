"""The bottom of the case domain: events, messages, the error type, clock, files, crypto, audit."""
