"""Model presets: architecture configs, tiny twins, loading from the hub."""
