"""Journeys in Debian's Chromium through Playwright."""
