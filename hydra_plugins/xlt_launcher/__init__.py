"""Hydra plugin: the xlt SLURM launcher (hydra/launcher=xlt_slurm, selected by conf/hydra/launcher/slurm.yaml)."""
