"""Sweep-level logic: validate every condition first, snapshot, skip finished, report failures."""
