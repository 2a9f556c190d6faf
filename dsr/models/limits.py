"""Rate-limit counters kept in the database while the shared cache is unreachable."""

from django.db import models


class RateCount(models.Model):
    """One fixed window of one limit (``dsr.core.ratelimit``): the key is a hash, never an
    address. Rows only exist while the cache was down, and go when their window has ended."""

    key = models.CharField(max_length=80, primary_key=True)
    window_ends = models.DateTimeField(db_index=True)
    hits = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.key
