"""Compose and validate every job of a sweep before anything is trained or submitted."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from omegaconf import DictConfig, OmegaConf, open_dict


@dataclass
class PlannedJob:
    """One validated job: its overrides, condition and result directory."""

    index: int
    overrides: list[str]
    condition_id: str
    run_dir: Path
    config: DictConfig

    @property
    def done(self) -> bool:
        """Whether this condition already finished (its DONE marker exists)."""
        return (self.run_dir / "DONE").exists()


class SweepValidationError(ValueError):
    """One or more conditions of a sweep are invalid; nothing was launched."""


class SweepFailed(RuntimeError):
    """Some conditions failed; the others finished and their results are on disk."""


def _describe(overrides: Sequence[str]) -> str:
    return " ".join(o for o in overrides if not o.startswith("hydra."))


def validate_jobs(config_loader, master: DictConfig, jobs: Sequence[Sequence[str]],
                  first_index: int = 0) -> list[PlannedJob]:
    """Compose each job's config and validate it; collect every problem, then raise once."""
    from xlt.conditions import Condition
    from xlt.data.tasks import check_needed, tasks_of
    from xlt.models.checkpoint import check_loadable
    from xlt.tracking.wandb_run import run_fields

    planned, problems = [], []
    for idx, overrides in enumerate(jobs, start=first_index):
        try:
            cfg = config_loader.load_sweep_config(master, list(overrides))
            with open_dict(cfg):
                cfg.hydra.job.num = idx
            cond = Condition.from_cfg(cfg)
            if not cfg.dry_run:  # a dry run lists a design; its weights may come later
                check_loadable(cfg.model)
            if cfg.engine.name == "vllm":
                from xlt.engines.vllm import check_servable

                check_servable(cfg.model)
            check_needed(*tasks_of(cfg), cfg.data, list(cond.source_variants), list(cond.targets), cond.trains)
            if cfg.logger.name == "wandb":
                run_fields(cfg, cond)
            run_dir = Path(cfg.hydra.sweep.dir) / str(cfg.hydra.sweep.subdir)
            job = PlannedJob(idx, list(overrides), cond.id, run_dir, cfg)
            launcher_params(job)  # the job's resources must resolve now, not on the node
            planned.append(job)
        except Exception as err:  # noqa: BLE001 - every kind of bad input is reported together
            problems.append(f"  condition #{idx} ({_describe(overrides)}): {err}")
    if problems:
        raise SweepValidationError(
            f"{len(problems)} of {len(jobs)} conditions are invalid; nothing was launched:\n" + "\n".join(problems))
    return planned


BASELINE = "zero_shot"


def baseline_overrides(planned: Sequence[PlannedJob]) -> list[list[str]]:
    """Overrides of the zero-shot baseline each trained condition is compared with.

    A trained regime's gains are measured against the base model on the same items, so a sweep of
    ``regime=finetune`` alone would leave the report nothing to pair with. The baseline does not
    depend on the source language or seed, so those overrides are dropped before de-duplicating.
    """
    out: dict[tuple[str, ...], list[str]] = {}
    for job in planned:
        if not job.config.regime.train:
            continue
        kept = [o for o in job.overrides if o.split("=", 1)[0].lstrip("+~") not in ("regime", "lang", "seed")]
        key = tuple(sorted(kept))
        out.setdefault(key, [*kept, f"regime={BASELINE}"])
    return list(out.values())


def dedupe(planned: list[PlannedJob]) -> tuple[list[PlannedJob], int]:
    """Collapse jobs that are the same condition (e.g. zero-shot under several sources or seeds)."""
    seen: dict[str, PlannedJob] = {}
    for job in planned:
        seen.setdefault(job.condition_id, job)
    return list(seen.values()), len(planned) - len(seen)


def launcher_params(job: PlannedJob) -> dict[str, Any]:
    """The launcher settings resolved against this job's own config.

    Hydra instantiates the launcher once, from the sweep's master config, so ``${model.resources.*}``
    would give every job the resources of the master config's model. Resolving per job gives each job
    what its own model preset asks for (GPUs, nodes, memory, time)."""
    params = OmegaConf.to_container(job.config.hydra.launcher, resolve=True)
    assert isinstance(params, dict)
    params.pop("_target_", None)
    return params


def job_summary(job: PlannedJob) -> dict[str, Any]:
    """What the snapshot records of a job: its resolved config and what its launcher asks for."""
    cfg = {k: OmegaConf.to_container(v, resolve=True) if OmegaConf.is_config(v) else v
           for k, v in job.config.items() if k != "hydra"}
    return {"index": job.index, "id": job.condition_id, "overrides": job.overrides,
            "run_dir": str(job.run_dir), "config": cfg, "launcher": launcher_params(job)}
