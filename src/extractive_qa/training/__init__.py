"""Fine-tuning helpers: where checkpoints live and which one resumes, the
span evaluation the Trainer runs, and length-bucketed batches."""
