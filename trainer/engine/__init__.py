"""The machinery every objective shares: the run frame (run), the training step
(multi_loss, jax_step, optimizer_groups), callbacks, checkpoints, --distribute, jitter,
schedules, the image pool, the shared builders, the objective value and the command line."""
