"""CPU presets pick bf16 only where the CPU computes it natively (xlt/config/hardware.py): on an AVX2-only
CPU emulated bf16 made a SmolLM2 LoRA step ~20x slower than fp32 (the learning test timed out in CI)."""

from __future__ import annotations

from pathlib import Path

import pytest

import xlt.config.hardware as hardware
from xlt.config.compose import compose
from xlt.config.identity import identity_of


@pytest.mark.parametrize("native, dtype, precision", [(True, "bfloat16", "bf16-mixed"),
                                                      (False, "float32", "32-true")])
@pytest.mark.parametrize("experiment", ["demo", "cpu_study", "cpu_study_sib"])
def test_cpu_presets_follow_the_cpus_bf16(monkeypatch, experiment, native, dtype, precision):
    monkeypatch.setattr(hardware, "cpu_bf16_native", lambda: native)
    cfg = compose([f"experiment={experiment}", "regime=finetune"])
    assert (cfg.model.dtype, cfg.trainer.precision) == (dtype, precision)


def test_the_resolved_choice_is_part_of_the_condition_identity(monkeypatch):
    ids = {}
    for native in (True, False):
        monkeypatch.setattr(hardware, "cpu_bf16_native", lambda native=native: native)
        ids[native] = identity_of(compose(["experiment=demo", "regime=finetune"]))
    assert ids[True]["model"]["dtype"] == "bfloat16" and ids[False]["model"]["dtype"] == "float32"
    assert ids[True]["trainer"]["precision"] != ids[False]["trainer"]["precision"]


def test_native_bf16_agrees_with_the_cpu_flags():
    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.exists() or "flags" not in cpuinfo.read_text():
        pytest.skip("no x86 /proc/cpuinfo flags to compare with")
    flags = set(next(line for line in cpuinfo.read_text().splitlines() if line.startswith("flags")).split())
    # oneDNN's bf16 check: AVX-512 BW+VL+DQ, or AVX512-BF16, or AMX-BF16
    expect = {"avx512bw", "avx512vl", "avx512dq"} <= flags or bool({"avx512_bf16", "amx_bf16"} & flags)
    assert hardware.cpu_bf16_native() is expect
