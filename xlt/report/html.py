"""A self-contained HTML page: tables inline, figures as base64 PNG data URIs, no external assets."""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field

import pandas as pd

CSS = """
body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em} h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;font-size:.8em;margin:.6em 0} th,td{border:1px solid #ccc;padding:2px 6px}
th{background:#f3f3f3} .tablewrap{overflow-x:auto} p.missing{color:#8a4b00;background:#fff6e5;padding:.4em}
figure{margin:1em 0} img{max-width:100%} .label{font-weight:bold} .note{color:#555;font-size:.9em}
"""


@dataclass
class Section:
    """One report section: paragraphs (HTML-escaped), named tables and figures, and what is missing."""

    key: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    figures: dict[str, bytes] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)


def _fmt(x: object) -> str:
    if isinstance(x, float):
        return f"{x:.4g}"
    return str(x)


def table_html(name: str, df: pd.DataFrame) -> str:
    """A table with its name as a data attribute (tests and readers find tables by name)."""
    body = df.to_html(index=False, na_rep="—", float_format=_fmt, border=0, escape=True)
    return f'<div class="tablewrap" data-table="{html.escape(name)}">\n<p class="label">{html.escape(name)}.csv</p>\n{body}\n</div>'


def figure_html(name: str, png: bytes) -> str:
    """An embedded PNG figure."""
    b64 = base64.b64encode(png).decode("ascii")
    return (f'<figure data-figure="{html.escape(name)}"><img alt="{html.escape(name)}" '
            f'src="data:image/png;base64,{b64}"><figcaption>{html.escape(name)}.png</figcaption></figure>')


def render(title: str, sections: list[Section], subtitle: str = "") -> str:
    """The whole page."""
    toc = "".join(f'<li><a href="#{s.key}">{html.escape(s.title)}</a></li>' for s in sections)
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
             f"<style>{CSS}</style></head><body><h1>{html.escape(title)}</h1>",
             f"<p class='note'>{html.escape(subtitle)}</p><ul>{toc}</ul>"]
    for s in sections:
        parts.append(f'<section id="{html.escape(s.key)}"><h2>{html.escape(s.title)}</h2>')
        parts += [f"<p>{html.escape(p)}</p>" for p in s.paragraphs]
        parts += [f'<p class="missing">Not estimated: {html.escape(m)}</p>' for m in s.missing]
        parts += [table_html(n, df) for n, df in s.tables.items()]
        parts += [figure_html(n, png) for n, png in s.figures.items()]
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)
