"""Errors raised before any expensive work starts."""


class ConfigError(ValueError):
    """A configuration value is invalid; the message names the value and the valid choices."""


def unknown_choice(what: str, value: object, valid: "list[str] | tuple[str, ...]", limit: int = 40) -> ConfigError:
    """Build a ConfigError for an unknown choice that lists (up to ``limit``) valid ones."""
    shown = ", ".join(sorted(valid)[:limit])
    more = f" (and {len(valid) - limit} more)" if len(valid) > limit else ""
    return ConfigError(f"unknown {what} {value!r}; valid choices: {shown}{more}")
