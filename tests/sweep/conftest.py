"""Shared by the sweep tests: one uninterrupted reference sweep per session (see xlt.sweep.testing)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def reference_sweep(tmp_path_factory) -> Path:
    """The PAIR sweep (zero-shot + fine-tune, tiny) run to the end with the local launcher.

    Lives in the session's base temp dir under a fixed name so tests/launchers reuses it (skipped there)."""
    from xlt.sweep.testing import reference_sweep

    return reference_sweep(tmp_path_factory.getbasetemp() / "xlt-reference")
