"""Belebele data: items, loaders, splits, prompts and the project's own fixtures."""
