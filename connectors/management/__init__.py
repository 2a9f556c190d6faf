"""Management commands of the connectors."""
