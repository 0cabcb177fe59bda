"""`python -m trainer.distill`: distill a trained CycleGAN into a small student. The trainer itself is
trainer.objectives.distill; this module is the command users type."""

from trainer.config import DistillConfig
from trainer.engine.cli import command

main = command("trainer.distill", "trainer.objectives.distill", DistillConfig)

if __name__ == "__main__":
    main()
