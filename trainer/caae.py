"""`python -m trainer.caae`: train a CAAE whose labels re-render an image. The trainer itself is
trainer.objectives.caae; this module is the command users type."""

from trainer.config import CAAEConfig
from trainer.engine.cli import command

main = command("trainer.caae", "trainer.objectives.caae", CAAEConfig)

if __name__ == "__main__":
    main()
