"""A self-contained HTML page: the answer panel first, figures as base64 PNG data URIs, long tables
collapsed (each with a link to its CSV beside the page), no external assets.

A small inline script records, once the page has loaded, each figure's decoded size and the answer
panel's position in ``<pre id="xlt-probe">`` (read by the headless-browser check, xlt.report.browser).
"""

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
body{max-width:1360px;margin:.8em auto} h1{margin:.2em 0}
#answer,.answer-panel{border:2px solid #444;border-radius:8px;padding:.4em 1em;margin:.5em 0;background:#fcfcfc}
#answer h2,.answer-panel h2{margin-top:.2em;border:0} .answer-grid{display:flex;gap:1em;align-items:flex-start}
.answer-text{flex:1 1 45%;font-size:.95em} .answer-fig{flex:1 1 55%;margin:0} .answer-fig img{max-height:430px}
.verdict{border-left:6px solid #999;padding:.1em .8em;margin:.5em 0;background:#f6f6f6}
.verdict-advantage{border-color:#c0392b} .verdict-disadvantage{border-color:#2c7fb8}
.verdict-equivalent{border-color:#27ae60} .verdict-inconclusive{border-color:#e0a100}
.verdict-line{font-size:1.08em} details{margin:.4em 0} summary{cursor:pointer;color:#1a4d80}
ul.toc{columns:3;font-size:.85em;margin:.3em 0}
"""

PROBE = """<pre id="xlt-probe" hidden></pre><script>
window.addEventListener('load', function () {
  var imgs = Array.prototype.map.call(document.images, function (i) {
    return {name: i.alt, complete: i.complete, width: i.naturalWidth, height: i.naturalHeight}; });
  var a = document.getElementById('answer'), r = a ? a.getBoundingClientRect() : null;
  document.getElementById('xlt-probe').textContent = JSON.stringify({images: imgs,
    answer: r && {top: r.top, left: r.left, bottom: r.bottom, right: r.right, width: r.width, height: r.height},
    viewport: {width: window.innerWidth, height: window.innerHeight}});
});
</script>"""


@dataclass
class Section:
    """One report section: paragraphs (HTML-escaped), named tables and figures, and what is missing."""

    key: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    figures: dict[str, bytes] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    html: str = ""  # trusted, pre-escaped markup (the answer panel)
    collapse: bool = True  # tables folded under <details>


def _fmt(x: object) -> str:
    if isinstance(x, float):
        return f"{x:.4g}"
    return str(x)


def table_html(name: str, df: pd.DataFrame, collapse: bool = True) -> str:
    """A table with its name as a data attribute (tests and readers find tables by name), folded
    under a summary line with a download link to the CSV written beside the page."""
    body = df.to_html(index=False, na_rep="—", float_format=_fmt, border=0, escape=True)
    n = html.escape(name)
    link = f'<a href="{n}.csv" download>download {n}.csv</a>'
    if not collapse:
        return f'<div class="tablewrap" data-table="{n}">\n<p class="label">{n}.csv ({link})</p>\n{body}\n</div>'
    return (f'<div class="tablewrap" data-table="{n}"><details><summary><span class="label">{n}</span> '
            f'({len(df)} rows x {df.shape[1]} columns) · {link}</summary>\n{body}\n</details></div>')


def figure_html(name: str, png: bytes) -> str:
    """An embedded PNG figure."""
    b64 = base64.b64encode(png).decode("ascii")
    return (f'<figure data-figure="{html.escape(name)}"><img alt="{html.escape(name)}" '
            f'src="data:image/png;base64,{b64}"><figcaption>{html.escape(name)}.png</figcaption></figure>')


def _answer(s: Section) -> list[str]:
    figs = "".join(figure_html(n, png).replace("<figure ", '<figure class="answer-fig" ', 1)
                   for n, png in s.figures.items())
    return [f'<section id="{html.escape(s.key)}" class="answer-panel"><h2>{html.escape(s.title)}</h2>',
            f'<div class="answer-grid"><div class="answer-text">{s.html}</div>{figs}</div>',
            *[f'<p class="missing">Not estimated: {html.escape(m)}</p>' for m in s.missing], "</section>"]


def is_answer(s: Section) -> bool:
    """The lead panel: ``answer``, or ``<task>_answer`` in a report over several tasks (one per task)."""
    return s.key == "answer" or s.key.endswith("_answer")


def render(title: str, sections: list[Section], subtitle: str = "") -> str:
    """The whole page; sections keyed ``answer`` (or ``<task>_answer``) are the lead panels, above the contents."""
    lead = [s for s in sections if is_answer(s)]
    rest = [s for s in sections if not is_answer(s)]
    toc = "".join(f'<li><a href="#{s.key}">{html.escape(s.title)}</a></li>' for s in rest)
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
             f"<style>{CSS}</style></head><body><h1>{html.escape(title)}</h1>"]
    for s in lead:
        parts += _answer(s)
    parts.append(f"<p class='note'>{html.escape(subtitle)}</p><ul class='toc'>{toc}</ul>")
    for s in rest:
        parts.append(f'<section id="{html.escape(s.key)}"><h2>{html.escape(s.title)}</h2>')
        parts += [f"<p>{html.escape(p)}</p>" for p in s.paragraphs]
        parts += [s.html] if s.html else []
        parts += [f'<p class="missing">Not estimated: {html.escape(m)}</p>' for m in s.missing]
        parts += [figure_html(n, png) for n, png in s.figures.items()]
        parts += [table_html(n, df, s.collapse) for n, df in s.tables.items()]
        parts.append("</section>")
    parts.append(PROBE + "</body></html>")
    return "\n".join(parts)
