"""Experiment tracking (W&B): a view of the results store, never its source of truth."""
