"""What this machine computes fast, for presets whose best setting depends on it.

Only the CPU's bf16 support is asked today: with AVX-512/AMX, bf16 matmuls are ~2x fp32; without them
(an AVX2-only CPU) oneDNN emulates bf16 and a SmolLM2 forward took 6.9x and a LoRA step ~20x fp32
(measured 2026-12-03 on an AVX2 EPYC: 40.7 s vs 5.9 s for 16 x 150 tokens; 225 s vs 10 s a step).
The choice enters the condition id as the resolved value, so a bf16 result is never reused for fp32.
"""

from __future__ import annotations

from functools import cache


@cache
def cpu_bf16_native() -> bool:
    """Whether this CPU has bf16 matmuls torch treats as supported (AVX-512 / AVX512-BF16 / AMX).

    PyTorch's own check (``torch.ops.mkldnn._is_mkldnn_bf16_supported``) is used: no Python API says it
    otherwise; the capability string (``AVX2``/``AVX512``) is the fallback if that op goes away.
    """
    import torch

    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return torch.backends.cpu.get_cpu_capability() not in ("DEFAULT", "AVX2", "NO AVX")


def if_cpu_bf16(fast: str, otherwise: str) -> str:
    """``${xlt_if_cpu_bf16:bfloat16,float32}``: ``fast`` on a CPU with native bf16, else ``otherwise``."""
    return fast if cpu_bf16_native() else otherwise
