"""The fan-out engine: plans, start, dispatch, worker, outcomes, gates, sweep, manual tasks."""
