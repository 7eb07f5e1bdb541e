"""xlt: Hydra-configured sweeps for cross-lingual transfer experiments with LLMs."""

__version__ = "0.1.0"
