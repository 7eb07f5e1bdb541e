"""One W&B run per condition. Every call is guarded: W&B failing must never lose a result."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

log = logging.getLogger(__name__)
SECRET = re.compile(r"(api[_-]?key|token|secret|password)", re.I)
MAX_GROUP, MAX_TAG = 128, 64  # W&B limits, checked only at sync time by W&B itself


def redact(obj: Any) -> Any:
    """Drop values under keys that look like secrets (never log API keys into configs)."""
    if isinstance(obj, dict):
        return {k: ("<redacted>" if SECRET.search(str(k)) else redact(v)) for k, v in obj.items()}
    if isinstance(obj, list):
        return [redact(v) for v in obj]
    return obj


def run_fields(cfg: DictConfig, cond) -> dict[str, Any]:
    """group / job_type / name / tags of a condition's run, validated against W&B's length limits."""
    from xlt.errors import ConfigError
    from xlt.languages import LANGUAGES

    families = sorted({LANGUAGES[c].genus or LANGUAGES[c].family for c in cond.targets if c in LANGUAGES})
    tags = [f"model:{cond.model}", f"source:{cond.source}", f"regime:{cond.regime}", *(f"family:{f}" for f in families)]
    fields = {"group": str(cfg.sweep_name), "job_type": cond.regime, "name": cond.id, "tags": tags}
    if len(fields["group"]) > MAX_GROUP:
        raise ConfigError(f"sweep_name is {len(fields['group'])} characters; W&B groups allow {MAX_GROUP}")
    for value in [fields["job_type"], *tags]:
        if len(value) > MAX_TAG:
            raise ConfigError(f"W&B tag/job_type {value!r} is longer than {MAX_TAG} characters")
    return fields


class Tracker:
    """A guarded W&B run; with logger=none every method is a no-op."""

    def __init__(self, cfg: DictConfig, cond, run_dir: Path, choices: dict[str, str] | None = None) -> None:
        self.run = None
        if cfg.logger.name != "wandb" or int(os.environ.get("RANK", "0")) != 0:
            return
        try:
            import wandb

            config = redact(OmegaConf.to_container(cfg, resolve=True))
            config["hydra_choices"] = choices or {}
            self.run = wandb.init(project=cfg.logger.project, entity=cfg.logger.get("entity"),
                                  mode=cfg.logger.mode, dir=str(run_dir), config=config,
                                  reinit="finish_previous", **run_fields(cfg, cond))
        except Exception as err:  # tracking is a view; the run goes on without it
            log.warning("W&B init failed (%s); results are still written to %s", err, run_dir)
            self.run = None

    def lightning_loggers(self) -> list:
        """Loggers for the Lightning Trainer (training curves into this run)."""
        if self.run is None:
            return []
        try:
            from lightning.pytorch.loggers import WandbLogger

            return [WandbLogger(experiment=self.run)]
        except Exception as err:
            log.warning("W&B Lightning logger unavailable: %s", err)
            return []

    def log_results(self, metrics: dict[str, Any], predictions: list[dict[str, Any]]) -> None:
        """Accuracy per target and family, and the per-item table."""
        if self.run is None:
            return
        try:
            import wandb

            flat = {f"acc/{lang}": acc for lang, acc in metrics["accuracy"].items()}
            flat.update({f"family/{g}": v for g, v in metrics["family_mean"].items() if v is not None})
            for lang, entry in metrics["per_lang"].items():
                if "cot_parse_rate" in entry:
                    flat[f"cot_parse_rate/{lang}"] = entry["cot_parse_rate"]
            self.run.summary.update(flat)
            self.run.log(flat)
            cols = ["lang", "link", "question_number", "pred", "gold", "correct", "logprobs"]
            table = wandb.Table(columns=cols, data=[[p[c] if c != "logprobs" else str(p[c]) for c in cols]
                                                    for p in predictions])
            self.run.log({"predictions": table})
        except Exception as err:
            log.warning("W&B logging failed (%s); results are on disk", err)

    def finish(self, exit_code: int) -> None:
        """Close the run; a failing condition shows as failed in W&B."""
        if self.run is None:
            return
        try:
            self.run.finish(exit_code=exit_code)
        except Exception as err:
            log.warning("W&B finish failed: %s", err)
        self.run = None
