"""Tests of the case domain: intake to answer, deadlines, decisions, letters, statistics."""
