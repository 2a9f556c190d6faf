"""Thin views: parse the request, call a use case or a selector, render."""
