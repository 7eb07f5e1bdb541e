"""The results store: the source of truth on disk."""
