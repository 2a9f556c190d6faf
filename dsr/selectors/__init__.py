"""Reads for pages and reports: the queue, the statistics, the staff list, the health checks."""
