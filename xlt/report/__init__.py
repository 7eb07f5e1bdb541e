"""Reports over a sweep's results store (never over W&B)."""
