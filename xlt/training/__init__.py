"""LoRA fine-tuning under Lightning."""
