"""Tests of sign-up, login, MFA, languages and the staff gate."""
