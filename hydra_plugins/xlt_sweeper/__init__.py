"""Hydra plugin: the xlt sweeper (hydra/sweeper=xlt)."""
