"""Check config-group choices on the command line before Hydra composes anything.

Hydra already rejects an unknown single choice (`model=nope`) with the list of options, but not an
unknown element of a list choice (`targets=[xxx_Latn]`); this check names the bad value and every
valid option for both, in one place, before any import of torch.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterable

from xlt.errors import ConfigError

GROUPS = ("model", "lang", "regime", "targets", "data", "trainer", "strategy", "logger", "cluster",
          "experiment")


def group_options(conf_dir: Path, group: str) -> list[str]:
    """The options of a config group (its YAML files)."""
    return sorted(p.stem for p in (conf_dir / group).glob("*.yaml"))


def _values(override) -> list[str]:
    if override.is_sweep_override():
        values = list(override.sweep_string_iterator())
    else:
        value = override.value()
        values = value if isinstance(value, list) else [value]
    flat: list[str] = []
    for v in values:  # a sweep over lists ("targets=[a,b],[c]") yields list strings
        v = str(v).strip()
        flat += [x.strip() for x in v.strip("[]").split(",") if x.strip()] if v.startswith("[") else [v]
    return flat


def check_group_choices(args: Iterable[str], conf_dir: Path) -> None:
    """Raise ConfigError for an unknown option of a config group among ``args`` (CLI overrides)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    overrides = [a for a in args if "=" in a and not a.startswith("-")]
    parsed = OverridesParser.create().parse_overrides(overrides)
    for ov in parsed:
        key = ov.key_or_group
        if key not in GROUPS or ov.is_delete():
            continue
        valid = group_options(conf_dir, key)
        for value in _values(ov):
            if value not in valid and value != "null":
                from xlt.errors import unknown_choice

                raise unknown_choice(f"{key} option", value, valid, limit=len(valid))


def composition_error(err: BaseException) -> ConfigError:
    """Hydra's multi-line composition error (a key the schema lacks, a wrong type, a bad enum value) as
    one line naming the key, what is wrong and what is valid."""
    cause = err.__cause__ or err
    key = getattr(cause, "full_key", None)
    msg = str(getattr(cause, "msg", None) or cause).strip().splitlines()[0]
    if key and msg.startswith("Key "):
        node = key.rsplit(".", 1)[0] if "." in key else ""
        from xlt.config.identity import schema_fields

        valid = sorted(p.rsplit(".", 1)[-1] for p, _ in schema_fields() if p.rsplit(".", 1)[0] == node and "." in p)
        return ConfigError(f"{key} is not a config key; valid keys of {node}: {', '.join(valid)}")
    return ConfigError(f"{key}: {msg}" if key else msg)


def check_composes(args: list[str]) -> None:
    """Compose a single (non-multirun) run's config once, so a schema error is one line, not Hydra's
    report; a multirun is checked job by job by the sweeper."""
    if "-m" in args or "--multirun" in args or any(a.startswith("-") for a in args):
        return
    from xlt.config.compose import compose

    try:
        compose([a for a in args if "=" in a])
    except Exception as err:  # noqa: BLE001 - Hydra/OmegaConf raise several types for one cause
        raise composition_error(err) from None


def main_guard(conf_dir: Path) -> None:
    """Run the checks on ``sys.argv``; print the error and exit 2 instead of a traceback."""
    try:
        check_group_choices(sys.argv[1:], conf_dir)
        check_composes(sys.argv[1:])
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
