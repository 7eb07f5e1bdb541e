"""One W&B run per condition. Every call is guarded: W&B failing must never lose a result.

The results store (``xlt.results.store``) is the source of truth; a run is a view of one condition:
group = sweep name, job_type = regime, name = condition id, tags for model / source / regime /
target families, config = the resolved config plus Hydra's choices (secrets redacted), summary and
history = accuracy per target, per genus (Semitic vs not) and per family, CoT parse rate; training
curves arrive through Lightning's ``WandbLogger`` (:meth:`Tracker.lightning_loggers`); a table of
per-item predictions. Offline unless ``logger.mode=online``.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from pathlib import Path
from typing import Any, Sequence

from omegaconf import DictConfig, OmegaConf

from xlt.ranks import is_rank_zero  # only rank 0 logs
from xlt.results.records import MetricsRecord, Prediction

log = logging.getLogger(__name__)
SECRET = re.compile(r"(api[_-]?key|token|secret|password|credential)", re.I)
# W&B limits, checked only at sync time by W&B itself (offline mode accepts anything): check early.
MAX_GROUP, MAX_NAME, MAX_TAG = 128, 128, 64
PRED_COLUMNS = ["lang", "link", "question_number", "pred", "gold", "correct", "logprobs", "stated_answer"]


def redact(obj: Any) -> Any:
    """Replace values under keys that look like secrets (never log API keys into configs)."""
    if isinstance(obj, dict):
        return {k: ("<redacted>" if SECRET.search(str(k)) else redact(v)) for k, v in obj.items()}
    if isinstance(obj, list):
        return [redact(v) for v in obj]
    return obj


def run_fields(cfg: DictConfig, cond) -> dict[str, Any]:
    """group / job_type / name / tags of a condition's run, validated against W&B's length limits.

    Raises ``ConfigError`` naming the offending value and the limit; the sweeper calls this while
    validating every condition, so a too-long sweep name fails before anything runs.
    """
    from xlt.errors import ConfigError
    from xlt.languages import LANGUAGES

    langs = [LANGUAGES[c] for c in cond.targets if c in LANGUAGES]
    families = sorted({lang.family for lang in langs})
    genera = sorted({"Semitic" if lang.semitic else "non-Semitic" for lang in langs})
    # Baselines (no training) serve every source and seed: tagging them with one source would lie.
    source = cond.source if cond.trains else "-"
    tags = [f"task:{cond.task}", f"model:{cond.model}", f"source:{source}", f"regime:{cond.regime}",
            *(f"genus:{g}" for g in genera), *(f"family:{f}" for f in families)]
    fields = {"group": str(cfg.sweep_name), "job_type": cond.regime, "name": cond.id, "tags": tags}
    if len(fields["group"]) > MAX_GROUP:
        raise ConfigError(f"sweep_name is {len(fields['group'])} characters; W&B groups allow {MAX_GROUP}")
    if len(fields["name"]) > MAX_NAME:
        raise ConfigError(f"W&B run name {fields['name']!r} is longer than {MAX_NAME} characters")
    for what, value in [("job_type", fields["job_type"]), *(("tag", t) for t in tags)]:
        if len(value) > MAX_TAG:
            raise ConfigError(f"W&B {what} {value!r} is {len(value)} characters; W&B allows {MAX_TAG}")
    return fields


def result_metrics(metrics: MetricsRecord) -> dict[str, float]:
    """Flat summary metrics of a condition: per target, per genus, per family, CoT parse rate."""
    flat: dict[str, float] = {f"acc/{lang}": float(acc) for lang, acc in metrics.accuracy.items()}
    for genus, value in metrics.family_mean.items():
        if value is not None:
            flat[f"genus/{genus}"] = float(value)
    by_family: dict[str, list[float]] = defaultdict(list)
    for entry in metrics.per_lang.values():
        by_family[entry.family or "unknown"].append(float(entry.accuracy))
    flat.update({f"family/{fam}": sum(v) / len(v) for fam, v in by_family.items()})
    accs = list(metrics.accuracy.values())
    if accs:
        flat["acc/mean"] = float(sum(accs) / len(accs))
    rates = {lang: e.cot.parse_rate for lang, e in metrics.per_lang.items() if e.cot is not None}
    flat.update({f"cot_parse_rate/{lang}": float(rate) for lang, rate in rates.items()})
    if rates:
        flat["cot_parse_rate/mean"] = float(sum(rates.values()) / len(rates))
    return flat


class Tracker:
    """A guarded W&B run; with ``logger=none``, on ranks other than 0, or after a W&B failure,
    every method is a no-op and the condition runs on."""

    def __init__(self, cfg: DictConfig, cond, run_dir: Path, choices: dict[str, str] | None = None) -> None:
        self.run = None
        if cfg.logger.name != "wandb" or not is_rank_zero():
            return
        try:
            import wandb

            config = redact(OmegaConf.to_container(cfg, resolve=True))
            config["hydra_choices"] = dict(choices or {})
            self.run = wandb.init(project=cfg.logger.project, entity=cfg.logger.get("entity"),
                                  mode=cfg.logger.mode, dir=str(run_dir), config=config,
                                  reinit="finish_previous", **run_fields(cfg, cond))
        except Exception as err:  # tracking is a view; the run goes on without it
            log.warning("W&B init failed (%s); results are still written to %s", err, run_dir)
            self.run = None

    def lightning_loggers(self) -> list:
        """Loggers for the Lightning Trainer: ``train/loss_step``, ``train/loss_epoch``,
        ``train/label_acc`` curves go into this run."""
        if self.run is None:
            return []
        try:
            from lightning.pytorch.loggers import WandbLogger

            return [WandbLogger(experiment=self.run)]
        except Exception as err:
            log.warning("W&B Lightning logger unavailable: %s", err)
            return []

    def log_results(self, metrics: MetricsRecord, predictions: Sequence[Prediction]) -> None:
        """Accuracy per target, genus and family, CoT parse rate, and the per-item table."""
        if self.run is None:
            return
        try:
            import wandb

            flat = result_metrics(metrics)
            self.run.log(flat)
            self.run.summary.update(flat)
            rows = [[_cell(row.get(c)) for c in PRED_COLUMNS] for row in (p.to_dict() for p in predictions)]
            self.run.log({"predictions": wandb.Table(columns=PRED_COLUMNS, data=rows)})
        except Exception as err:
            log.warning("W&B logging failed (%s); results are on disk", err)

    def finish(self, exit_code: int) -> None:
        """Close the run; a failing condition (exit_code != 0) shows as failed in W&B."""
        if self.run is None:
            return
        try:
            self.run.finish(exit_code=exit_code)
        except Exception as err:
            log.warning("W&B finish failed: %s", err)
        self.run = None


def _cell(value: Any) -> Any:
    """Table cells must share a type per column: lists become strings, None stays None."""
    return str(value) if isinstance(value, (list, dict)) else value
