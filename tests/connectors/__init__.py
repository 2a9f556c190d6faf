"""Tests of the connector backends and of the fan-out that drives them."""
