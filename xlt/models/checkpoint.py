"""What a model preset points at, and the identity of what was loaded.

A condition's id must change when the weights change, not when a path does: a local folder is
identified by a fingerprint of its config.json and weight files, a hub model by its id and resolved
commit, a packaged GGUF by package version and file, a tiny twin by its arch block (already in the
preset). Fingerprints are cached by file size and mtime, so composing a sweep stays cheap.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from xlt.errors import ConfigError
from xlt.models.tiny import cache_root  # noqa: F401  (one cache folder for every built checkpoint)

SHA_RE = re.compile(r"^[0-9a-f]{40}$")
SAMPLE_BYTES = 1 << 20  # bytes hashed at each end of a weight file (a full hash of 1.3 TB is not cheap)
WEIGHT_GLOBS = ("*.safetensors",)


@dataclass(frozen=True)
class Checkpoint:
    """Where a preset's weights come from and their identity (``fingerprint``)."""

    kind: str  # tiny | local | hub | gguf
    location: str  # folder, hub id or package
    revision: str | None  # hub: the resolved commit sha (None when it cannot be resolved offline)
    fingerprint: str


def _get(model_cfg: Mapping[str, Any], key: str) -> Any:
    return model_cfg.get(key) if hasattr(model_cfg, "get") else None


def offline() -> bool:
    """True when the hub must not be contacted (``HF_HUB_OFFLINE``, as huggingface_hub reads it)."""
    return os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes", "on")


# --- local folders ---------------------------------------------------------------------------------

def _file_sample_hash(path: Path) -> str:
    """sha256 of the safetensors header (names, shapes, offsets) and both ends of the data."""
    h = hashlib.sha256()
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(8)
        h.update(head)
        if len(head) == 8:  # safetensors: u64 header length, then the JSON header
            n = int.from_bytes(head, "little")
            if 0 < n < size:
                h.update(fh.read(n))
        h.update(fh.read(SAMPLE_BYTES))
        if size > 2 * SAMPLE_BYTES:
            fh.seek(size - SAMPLE_BYTES)
            h.update(fh.read(SAMPLE_BYTES))
    return h.hexdigest()


def weight_files(folder: Path) -> list[Path]:
    """The safetensors weight files of a checkpoint folder, sorted."""
    return sorted(p for g in WEIGHT_GLOBS for p in folder.glob(g))


def _stat_key(paths: list[Path]) -> str:
    return json.dumps([[p.name, p.stat().st_size, p.stat().st_mtime_ns] for p in paths])


def folder_fingerprint(folder: Path | str) -> str:
    """Fingerprint of a local checkpoint: config.json bytes + a sampled hash of each weight file.

    Cached in ``$XLT_CACHE_DIR/fingerprints.json`` under the folder's path and each file's size and
    mtime: a file rewritten in place gets a new mtime and is hashed again.
    """
    folder = Path(folder).resolve()
    check_local_folder(folder)
    files = [folder / "config.json", *weight_files(folder)]
    key = _stat_key(files)
    cache_file = cache_root() / "fingerprints.json"
    try:
        cache = json.loads(cache_file.read_text())
    except (OSError, ValueError):
        cache = {}
    hit = cache.get(str(folder))
    if hit and hit.get("stat") == key:
        return hit["fingerprint"]
    h = hashlib.sha256((folder / "config.json").read_bytes())
    for p in files[1:]:
        h.update(f"{p.name}:{p.stat().st_size}:{_file_sample_hash(p)}".encode())
    fp = "local:" + h.hexdigest()[:16]
    cache[str(folder)] = {"stat": key, "fingerprint": fp}
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache_file.with_name(f"{cache_file.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(cache, indent=1))
    os.replace(tmp, cache_file)
    return fp


def check_local_folder(folder: Path) -> None:
    """A loadable local checkpoint has config.json and safetensors weights (pickles are refused)."""
    if not folder.is_dir():
        raise ConfigError(f"model.local_path {str(folder)!r} is not a folder; set it to a checkpoint folder "
                          "(config.json + *.safetensors) or use model.hub_id=ORG/NAME")
    if not (folder / "config.json").exists():
        raise ConfigError(f"model.local_path {str(folder)!r} has no config.json; point it at a transformers "
                          "checkpoint folder")
    if not weight_files(folder):
        bins = [p.name for p in folder.glob("*.bin")] + [p.name for p in folder.glob("*.pt")]
        extra = f" (found {', '.join(bins[:3])}: pickled weights are refused)" if bins else ""
        raise ConfigError(f"model.local_path {str(folder)!r} has no *.safetensors weights{extra}; "
                          "convert with save_pretrained(..., safe_serialization=True)")


def save_atomically(model, tok, out: Path) -> Path:
    """Save a model + tokenizer as a safetensors folder under ``out`` with a DONE marker, written to a
    temporary folder and renamed, so concurrent builders (tests, ranks) never see half a checkpoint."""
    import shutil

    tmp = out.with_name(out.name + f".tmp{os.getpid()}")
    model.save_pretrained(tmp, safe_serialization=True)
    tok.save_pretrained(tmp)
    (tmp / "DONE").write_text("ok\n")
    try:
        tmp.rename(out)
    except OSError:  # another process won the race; its copy is identical
        shutil.rmtree(tmp, ignore_errors=True)
    return out


# --- the hub -------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=256)
def resolve_hub_revision(hub_id: str, revision: str | None) -> str | None:
    """The commit sha a hub revision (branch, tag or sha) points at: from the local cache when
    offline, else from the hub. None when it cannot be resolved (offline and not cached)."""
    rev = revision or "main"
    if SHA_RE.match(rev):
        return rev
    from huggingface_hub import try_to_load_from_cache

    cached = try_to_load_from_cache(hub_id, "config.json", revision=rev)
    if isinstance(cached, str):
        match = re.search(r"/snapshots/([0-9a-f]{40})/", cached)
        if match:
            return match.group(1)
    if offline():
        return None
    try:
        from huggingface_hub import HfApi

        return HfApi().model_info(hub_id, revision=rev).sha
    except Exception:  # noqa: BLE001 - no network, gated repo, typo: validation reports it
        return None


def hub_snapshot(hub_id: str, sha: str) -> Path | None:
    """The cached snapshot folder of a hub model at a commit, if it is in the local cache."""
    from huggingface_hub import try_to_load_from_cache

    cached = try_to_load_from_cache(hub_id, "config.json", revision=sha)
    return Path(cached).parent if isinstance(cached, str) else None


# --- one entry point -----------------------------------------------------------------------------

def resolve_checkpoint(model_cfg: Mapping[str, Any]) -> Checkpoint:
    """The checkpoint a preset names, with its fingerprint (no weights are loaded)."""
    if _get(model_cfg, "tiny"):
        # A tiny twin is a function of its arch block and seed, which the identity already holds.
        return Checkpoint("tiny", str(_get(model_cfg, "name")), None, "tiny")
    local = _get(model_cfg, "local_path")
    if local:
        folder = Path(local).resolve()
        try:
            fp = folder_fingerprint(folder)
        except ConfigError:  # composing must not fail here: validation names the problem (check_loadable)
            fp = "local:unreadable"
        return Checkpoint("local", str(folder), None, fp)
    gguf = _get(model_cfg, "gguf")
    if gguf:
        from xlt.models.gguf import gguf_fingerprint

        return Checkpoint("gguf", str(gguf["package"]), None, gguf_fingerprint(gguf))
    hub_id = _get(model_cfg, "hub_id")
    if not hub_id:
        raise ConfigError(f"model {_get(model_cfg, 'name')!r} names no weights; set model.hub_id=ORG/NAME "
                          "or model.local_path=DIR")
    sha = resolve_hub_revision(str(hub_id), _get(model_cfg, "revision"))
    shown = sha or f"{_get(model_cfg, 'revision') or 'main'}?"  # '?': unresolved; validation refuses it
    return Checkpoint("hub", str(hub_id), sha, f"hub:{hub_id}@{shown}")


def check_loadable(model_cfg: Mapping[str, Any]) -> Checkpoint:
    """Refuse (ConfigError) a checkpoint that cannot be loaded here, saying what to set."""
    ckpt = resolve_checkpoint(model_cfg)
    if ckpt.kind == "local":
        check_local_folder(Path(ckpt.location))
    if ckpt.kind == "gguf":
        from xlt.models.gguf import gguf_path

        gguf_path(model_cfg["gguf"])
    if ckpt.kind == "hub":
        name = _get(model_cfg, "name")
        rev = _get(model_cfg, "revision") or "main"
        if ckpt.revision is None:
            raise ConfigError(
                f"model {name!r}: {ckpt.location}@{rev} is not in the local Hugging Face cache and the hub is "
                f"{'off (HF_HUB_OFFLINE=1)' if offline() else 'unreachable'}; download it first "
                f"(huggingface-cli download {ckpt.location} --revision {rev}) or set model.local_path=DIR")
        if offline() and hub_snapshot(ckpt.location, ckpt.revision) is None:
            raise ConfigError(f"model {name!r}: snapshot {ckpt.location}@{ckpt.revision} is not cached and "
                              "HF_HUB_OFFLINE=1; download it or set model.local_path=DIR")
    return ckpt


def checkpoint_config(model_cfg: Mapping[str, Any]) -> dict[str, Any] | None:
    """The checkpoint's config.json as a dict, when it can be read without loading weights."""
    ckpt = resolve_checkpoint(model_cfg)
    folder: Path | None = None
    if ckpt.kind == "local":
        folder = Path(ckpt.location)
    elif ckpt.kind == "hub" and ckpt.revision:
        folder = hub_snapshot(ckpt.location, ckpt.revision)
    elif ckpt.kind == "gguf":
        from xlt.models.gguf import ensure_converted

        folder = ensure_converted(model_cfg["gguf"], cache_root())
    if folder is None or not (folder / "config.json").exists():
        return None
    return json.loads((folder / "config.json").read_text())


def check_against_preset(model_cfg: Mapping[str, Any], config: Mapping[str, Any]) -> None:
    """A preset's arch block must describe the checkpoint it loads: every value it states must match."""
    arch = _get(model_cfg, "arch")
    if not arch:
        return
    arch = dict(arch)
    wrong = []
    for key, want in arch.items():
        if key in config and not isinstance(want, Mapping) and config[key] != want:
            wrong.append(f"{key}: preset {want!r}, checkpoint {config[key]!r}")
    if wrong:
        raise ConfigError(f"model {_get(model_cfg, 'name')!r}: the checkpoint does not match the preset's arch "
                          f"({'; '.join(wrong)}); use model=hf for a checkpoint that is not this preset")
