"""The report opened in a real browser (headless Chromium at 1400 x 900): every figure decodes, the
answer panel is entirely inside the first screen, and the screenshot is kept beside report.html."""

from __future__ import annotations

import matplotlib.image as mpimg

from xlt.report import browser

W, H = browser.WINDOW


def _check(report_dir):
    info = browser.probe(report_dir / "report.html")
    assert info["viewport"]["width"] == W
    imgs = info["images"]
    assert len(imgs) >= 3
    for img in imgs:
        assert img["complete"] and img["width"] > 100 and img["height"] > 100, img  # decoded, not a broken icon
    box = info["answer"]
    assert box and box["height"] > 150, box
    assert box["top"] >= 0 and box["left"] >= 0 and box["bottom"] <= H and box["right"] <= W, box
    names = {i["name"] for i in imgs}
    assert "answer_gain_vs_baseline" in names
    shot = report_dir / "screenshot.png"
    assert shot.is_file(), "xlt.report keeps the screenshot next to report.html"
    h, w = mpimg.imread(shot).shape[:2]
    assert (w, h) == (W, H)


def test_full_report_in_chromium(full_report, chromium):
    _check(full_report)


def test_demo_like_report_in_chromium(demo_like_report, chromium):
    _check(demo_like_report)
