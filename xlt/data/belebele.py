"""Load Belebele variants from the project's fixtures, a local JSONL folder, or the Hugging Face hub."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable


from xlt.data.items import Item
from xlt.config.schema import DataConf
from xlt.errors import ConfigError


def load_jsonl(path: Path, lang: str) -> list[Item]:
    """Read one official-layout JSONL file; a malformed row names the file and line."""
    items = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                raise ValueError(f"{where}: not valid JSON ({err.msg})") from None
            items.append(Item.from_row(lang, row, where))
    return items


def _check_unique(items: list[Item], source: str) -> list[Item]:
    seen: set[tuple[str, int]] = set()
    for it in items:
        if it.key in seen:
            raise ValueError(f"{source}: duplicate item {it.key}")
        seen.add(it.key)
    return items


def available_languages(data_cfg: DataConf) -> list[str]:
    """Codes the configured source can provide (the hub: every registry code)."""
    if data_cfg.source == "fixtures":
        from xlt.data.fixtures import FIXTURE_LANGUAGES

        return list(FIXTURE_LANGUAGES)
    if data_cfg.source == "local":
        return sorted(p.stem for p in Path(data_cfg.dir).glob("*.jsonl"))
    from xlt.languages import codes_in

    return list(codes_in("belebele"))


def check_available(data_cfg: DataConf, codes: Iterable[str]) -> None:
    """Fail early (before any model loads) when a needed language is missing from the source."""
    if data_cfg.source == "local" and not Path(data_cfg.dir).is_dir():
        raise ConfigError(f"data.dir {data_cfg.dir!r} is not a folder")
    have = set(available_languages(data_cfg))
    missing = [c for c in codes if c not in have]
    if missing:
        raise ConfigError(
            f"data.source={data_cfg.source} has no {', '.join(missing)}; available: {', '.join(sorted(have))}"
        )


def load_language(data_cfg: DataConf, code: str) -> list[Item]:
    """All items of one variant from the configured source."""
    if data_cfg.source == "fixtures":
        from xlt.data.fixtures import fixture_rows

        return _check_unique([Item.from_row(code, r, f"fixtures:{code}:{i}") for i, r in
                              enumerate(fixture_rows(code), 1)], f"fixtures:{code}")
    if data_cfg.source == "local":
        path = Path(data_cfg.dir) / f"{code}.jsonl"
        if not path.exists():
            check_available(data_cfg, [code])
        return _check_unique(load_jsonl(path, code), str(path))
    return _check_unique(_load_hub(data_cfg, code), f"{data_cfg.hub_id}:{code}")


def _load_hub(data_cfg: DataConf, code: str) -> list[Item]:
    # facebook/belebele: one config per variant, a single "test" split (as lm-evaluation-harness loads it).
    from datasets import load_dataset

    ds = load_dataset(data_cfg.hub_id, code, split="test", revision=data_cfg.revision)
    return [Item.from_row(code, row, f"{data_cfg.hub_id}:{code}:{i}") for i, row in enumerate(ds)]


def load_languages(data_cfg: DataConf, codes: Iterable[str]) -> dict[str, list[Item]]:
    """Load several variants (each once), checking availability of all first."""
    codes = list(dict.fromkeys(codes))
    check_available(data_cfg, codes)
    return {code: load_language(data_cfg, code) for code in codes}
