"""Use cases, one journey per module; each function is the outermost transaction."""
