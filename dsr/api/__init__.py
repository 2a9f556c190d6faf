"""The JSON API (django-ninja): keys and scopes, endpoints, errors, the audit of every call."""
