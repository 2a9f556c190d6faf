"""The JSON API tests: keys and scopes, the schema (Schemathesis), the admin pages."""
