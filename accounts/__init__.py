"""Users, roles (privacy officer, privacy admin), allauth adapters and the staff gate."""
