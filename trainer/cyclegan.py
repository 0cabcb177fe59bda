"""`python -m trainer.cyclegan`: train a CycleGAN (or, with --objective cut|fastcut, a CUT) on two domains. The trainer itself is
trainer.objectives.cyclegan; this module is the command users type."""

from trainer.config import CycleGANConfig
from trainer.engine.cli import command

main = command("trainer.cyclegan", "trainer.objectives.cyclegan", CycleGANConfig)

if __name__ == "__main__":
    main()
