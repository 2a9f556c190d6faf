"""Management commands of the portal (dsr_*)."""
