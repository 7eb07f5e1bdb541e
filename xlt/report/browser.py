"""The report in a real browser: headless Chromium renders report.html, takes the screenshot kept
beside it, and reads back what the page's probe script recorded (figures decoded, answer panel box)."""

from __future__ import annotations

import html
import json
import logging
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)
WINDOW = (1400, 900)
_NAMES = ("chromium", "chromium-browser", "google-chrome")


def find_chromium() -> str | None:
    """Path of a Chromium binary on PATH, or None."""
    return next((p for p in map(shutil.which, _NAMES) if p), None)


def _run(page: Path, extra: list[str], timeout: float) -> subprocess.CompletedProcess:
    exe = find_chromium()
    if exe is None:
        raise FileNotFoundError("chromium is not installed")
    with tempfile.TemporaryDirectory(prefix="xlt-chromium-") as profile:  # private profile: no lock clashes
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
               "--no-first-run", f"--user-data-dir={profile}", f"--window-size={WINDOW[0]},{WINDOW[1]}",
               "--virtual-time-budget=10000", *extra, Path(page).resolve().as_uri()]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def screenshot(page: Path, png: Path, timeout: float = 180, tries: int = 2) -> bool:
    """Render ``page`` at 1400 x 900 into ``png``; False (no file) when Chromium fails or is missing.

    A second try because headless Chromium on a loaded machine once exited without writing the file
    (a CI run, 2026-12-02); what it printed is logged, so a persistent failure says why."""
    why = ""
    for _ in range(tries):
        try:
            proc = _run(page, [f"--screenshot={Path(png).resolve()}"], timeout)
            why = f"exit {proc.returncode}: {(proc.stderr.strip().splitlines() or [''])[-1][:300]}"
        except FileNotFoundError:
            return False
        except subprocess.TimeoutExpired:
            why = f"no screenshot within {timeout:.0f} s"
        if Path(png).is_file() and Path(png).stat().st_size > 0:
            return True
    log.warning("Chromium took no screenshot of %s (%s)", page, why)
    return False


def probe(page: Path, timeout: float = 180) -> dict:
    """What the page's load-time probe recorded: every image's decoded size, the answer panel's box."""
    out = _run(page, ["--dump-dom"], timeout).stdout
    m = re.search(r'<pre id="xlt-probe"[^>]*>(.*?)</pre>', out, re.S)
    if not m or not m.group(1).strip():
        raise RuntimeError("the page's probe did not run (no load event?)")
    return json.loads(html.unescape(m.group(1)))
