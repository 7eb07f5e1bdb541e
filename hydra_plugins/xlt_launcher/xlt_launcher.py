"""The xlt SLURM launcher: hydra-submitit-launcher's ``SlurmLauncher`` whose jobs run frozen code and config.

Differences from the parent, all through public hydra-submitit-launcher / submitit API:

- ``submit(params, jobs)`` submits one array with settings resolved per job (each model preset's
  resources; the xlt sweeper groups jobs by them) and returns submitit's jobs, so the sweeper waits on
  every job and collects each outcome (``xlt.sweep.launch``) instead of stopping at the first failure.
- Each job carries the config composed (and validated) at submit time; the node does not compose it again
  from ``conf/`` on disk. The code is frozen once per sweep (``xlt.sweep.snapshot.freeze_code``, submitit's
  ``RsyncSnapshot``) and the job imports it first (``PYTHONPATH`` + ``PYTHONSAFEPATH``: the job keeps the
  submitter's cwd, where relative paths resolve, and the checkout in that cwd must not shadow the copy).
  ``freeze_code: false`` runs the checkout as it is when the job starts.
- ``launch`` (Hydra's entry point, used with any other sweeper) does the same for one array and waits with
  the sweep's SUSPENDED-aware rule.

(No ``from __future__ import annotations``: Hydra loads plugin modules outside sys.modules and dataclasses
then cannot resolve string annotations.)
"""

import copy
import logging
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from hydra.core.config_store import ConfigStore
from hydra.core.singleton import Singleton
from hydra.core.utils import JobReturn, filter_overrides, run_job, setup_globals
from hydra_plugins.hydra_submitit_launcher.config import BaseQueueConf, SlurmQueueConf
from hydra_plugins.hydra_submitit_launcher.submitit_launcher import SlurmLauncher
from omegaconf import DictConfig, OmegaConf, open_dict

log = logging.getLogger(__name__)


@dataclass
class XltSlurmQueueConf(SlurmQueueConf):
    _target_: str = "hydra_plugins.xlt_launcher.xlt_launcher.XltSlurmLauncher"
    # Jobs import a copy of the code frozen at submission (<sweep dir>/.submitit/code/<code id>).
    freeze_code: bool = True


ConfigStore.instance().store(group="hydra/launcher", name="xlt_slurm", node=XltSlurmQueueConf, provider="xlt")

# (overrides, job number, composed config) of one job
JobSpec = Tuple[Sequence[str], int, DictConfig]


class XltSlurmLauncher(SlurmLauncher):
    """SlurmLauncher with per-job settings, configs composed at submit time and frozen code."""

    def __init__(self, freeze_code: bool = True, **params: Any) -> None:
        super().__init__(**params)
        self.freeze_code = bool(freeze_code)
        self._frozen: Optional[Path] = None

    def __call__(self, sweep_overrides: List[str], job_dir_key: str, job_num: int, job_id: str,
                 singleton_state: Dict[type, Singleton], config: Optional[DictConfig] = None) -> JobReturn:
        """Run one job on the node: the parent's, except that a config composed at submit time is used as is."""
        import submitit

        from xlt.sweep.code_version import code_version, describe

        version = code_version()  # provenance in the job's log: which copy of the code this process imports
        print(f"xlt: job runs the code in {version['root']} ({describe(version)})", flush=True)
        if config is None:
            return super().__call__(sweep_overrides, job_dir_key, job_num, job_id, singleton_state)

        Singleton.set_state(singleton_state)
        setup_globals()
        config = copy.deepcopy(config)
        with open_dict(config.hydra.job) as job:
            job.id = submitit.JobEnvironment().job_id
            job.num = job_num
        return run_job(hydra_context=self.hydra_context, task_function=self.task_function, config=config,
                       job_dir_key=job_dir_key, job_subdir_key="hydra.sweep.subdir")

    def frozen_code(self) -> Optional[Path]:
        """The sweep's frozen copy of the code (made on first use); None when not frozen."""
        if self.freeze_code and self._frozen is None:
            from xlt.sweep.snapshot import freeze_code

            self._frozen = freeze_code(Path(str(self.config.hydra.sweep.dir)) / ".submitit" / "code")
            self.freeze_code = self._frozen is not None
        return self._frozen

    def executor(self, params: Dict[str, Any]) -> Any:
        """A submitit executor for ``params`` (launcher settings), built as the parent's ``launch`` builds its
        own inline (it takes them from ``self.params`` only), plus the frozen code on the job's path."""
        import submitit

        from xlt.sweep.launch import check_versions

        check_versions()
        params = {k: v for k, v in params.items() if k not in ("_target_", "freeze_code")}
        code = self.frozen_code()
        if code is not None:
            params["setup"] = [*(params.get("setup") or []),
                               f"export PYTHONPATH={shlex.quote(str(code))}${{PYTHONPATH:+:$PYTHONPATH}}",
                               "export PYTHONSAFEPATH=1"]   # python >= 3.11: the cwd does not come first
        init_keys = {"max_num_timeout"}
        executor = submitit.AutoExecutor(cluster="slurm", folder=params["submitit_folder"],
                                         **{f"slurm_{k}": params[k] for k in init_keys if k in params})
        base = set(OmegaConf.structured(BaseQueueConf).keys())
        executor.update_parameters(**{k if k in base else f"slurm_{k}": v for k, v in params.items()
                                      if k not in init_keys | {"submitit_folder"}})
        return executor

    def submit(self, params: Dict[str, Any], jobs: Sequence[JobSpec]) -> List[Any]:
        """Submit ``jobs`` as one array with launcher settings ``params``; submitit's SlurmJob per job."""
        args = [(list(overrides), "hydra.sweep.dir", num, f"job_id_for_{num}", Singleton.get_state(), config)
                for overrides, num, config in jobs]
        return self.executor(params).map_array(self, *zip(*args))

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        """Hydra's launcher API: compose, submit one array, wait for every job; their JobReturns."""
        from xlt.sweep.launch import ended

        assert self.config is not None and self.hydra_context is not None
        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        log.info("Submitit 'slurm' sweep output dir : %s", sweep_dir)
        specs = []
        for num, overrides in enumerate(job_overrides, start=initial_job_idx):
            config = self.hydra_context.config_loader.load_sweep_config(self.config, list(overrides))
            with open_dict(config.hydra.job):
                config.hydra.job.num = num
            specs.append((overrides, num, config))
            log.info("\t#%d : %s", num, " ".join(filter_overrides(overrides)))
        jobs = self.submit(self.params, specs)
        for _ in ended(jobs, poll_s=30.0):
            pass
        return [job.results()[0] for job in jobs]
