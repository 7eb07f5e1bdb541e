"""The comparison as a W&B report (``wandb_workspaces.reports.v2``).

Always built and validated (serialised to the report's view-spec model and parsed back); a JSON
copy is saved beside report.html. Saved to the W&B server only when online: ``logger.mode=online``
(or ``WANDB_MODE=online``) and an API key is available. Building needs no server as long as the
run set names no entity/project (resolving those is a GraphQL call), so offline we leave them empty
and record them in the JSON instead.
"""

from __future__ import annotations

import json
import logging
import netrc
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def api_key_available() -> bool:
    """An API key in the environment or in ~/.netrc (where ``wandb login`` puts it)."""
    if os.environ.get("WANDB_API_KEY"):
        return True
    try:
        return netrc.netrc().authenticators("api.wandb.ai") is not None
    except (OSError, netrc.NetrcParseError):
        return False


def wants_online(logger_cfg: dict[str, Any]) -> bool:
    """Online iff the sweep used W&B, its ``logger.mode`` (or ``WANDB_MODE``) is online, and a key is
    present. An exported ``WANDB_MODE=offline`` (the Makefile's default) does not veto a sweep that
    the user explicitly ran with ``logger.mode=online``."""
    online = logger_cfg.get("mode") == "online" or os.environ.get("WANDB_MODE") == "online"
    return logger_cfg.get("name", "wandb") == "wandb" and online and api_key_available()


def build(sweep: str, project: str, entity: str, targets: list[str], comparisons: list[str],
          findings: list[str], online: bool = False):
    """The report object: a run set filtered to this sweep's group, panels for the key metrics."""
    import wandb_workspaces.reports.v2 as wr
    from wandb_workspaces import expr

    if online and not entity:
        import wandb

        entity = wandb.Api().default_entity or ""
    runset = wr.Runset(entity=entity if online else "", project=project if online else "",
                       name=f"sweep {sweep}", filters=[expr.Metric("Group") == sweep])
    acc = [f"acc/{t}" for t in targets]
    panels = [
        wr.BarPlot(title="accuracy per target (grouped by regime)", metrics=acc, groupby="JobType",
                   groupby_aggfunc="mean", groupby_rangefunc="stderr"),
        wr.BarPlot(title="Semitic vs non-Semitic mean accuracy", metrics=["genus/semitic", "genus/non_semitic"],
                   groupby="JobType", groupby_aggfunc="mean"),
        wr.BarPlot(title="mean accuracy per run", metrics=["acc/mean"]),
        wr.LinePlot(title="training loss", x="Step", y=["train/loss_step"]),
        wr.LinePlot(title="training label accuracy (epoch)", x="Step", y=["train/label_acc"]),
        wr.BarPlot(title="CoT parse rate", metrics=["cot_parse_rate/mean"]),
    ]
    blocks = [
        wr.H1(f"xlt sweep {sweep}: cross-lingual transfer"),
        wr.P("Source of truth: the results store on disk (outputs/<sweep>/); this report is a view of the "
             "W&B runs of the sweep (group = sweep, job type = regime, one run per condition). The full "
             "statistics are in report.html beside this report's JSON."),
        wr.H2("Key metrics"),
        wr.PanelGrid(runsets=[runset], panels=panels),
        wr.H2("Statistics (from report.html)"),
        wr.UnorderedList(items=findings or ["no statistic could be estimated for this sweep"]),
        wr.P("Comparisons: " + (", ".join(comparisons) or "none")),
    ]
    # Online without logger.entity: let W&B fill in the API key's default entity.
    who = {"entity": entity} if entity or not online else {}
    return wr.Report(project=project, **who, title=f"xlt {sweep}"[:128],
                     description="Baseline accuracy, gains, Semitic-advantage tests (language as the unit).",
                     blocks=blocks)


def validate(report) -> dict[str, Any]:
    """Serialise to the view-spec model, parse it back and rebuild the report; returns the JSON dict."""
    from wandb_workspaces.reports.v2 import Report, internal

    text = report._to_model().model_dump_json(by_alias=True, exclude_none=True)  # the payload save() sends
    back = Report._from_model(internal.ReportViewspec.model_validate_json(text))
    if back.title != report.title or len(back.blocks) != len(report.blocks):
        raise ValueError("W&B report did not round-trip through its view-spec model")
    return json.loads(text)


def write(out_dir: Path, sweep: str, logger_cfg: dict[str, Any], targets: list[str], comparisons: list[str],
          findings: list[str]) -> dict[str, Any]:
    """Build, validate and save ``wandb_report.json``; save to W&B when online. Never raises:
    the HTML report must not depend on W&B."""
    status: dict[str, Any] = {"built": False, "saved": False, "url": None, "error": None}
    online = wants_online(logger_cfg)
    project, entity = logger_cfg.get("project") or "xlt", logger_cfg.get("entity") or ""
    try:
        report = build(sweep, project, entity, targets, comparisons, findings, online=online)
        spec = validate(report)
        payload = {"sweep": sweep, "project": project, "entity": entity, "online": online, "report": spec}
        (out_dir / "wandb_report.json").write_text(json.dumps(payload, indent=1))
        status["built"] = True
        if online:
            report.save()
            status.update(saved=True, url=report.url)
    except Exception as err:  # noqa: BLE001 - W&B is a view; report.html is written regardless
        log.warning("W&B report not %s: %s", "saved" if status["built"] else "built", err)
        status["error"] = str(err)
    return status
