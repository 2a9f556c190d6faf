"""dsr_connectors: list and check the configured systems."""
