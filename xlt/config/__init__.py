"""Typed configuration: the schema of every config group (Hydra ConfigStore), identity, the one compose entry."""

from xlt.config import schema as _schema  # noqa: F401  registers xlt_schema, which conf/config.yaml extends
