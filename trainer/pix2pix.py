"""`python -m trainer.pix2pix`: train pix2pix, both ways, on paired images. The trainer itself is
trainer.objectives.pix2pix; this module is the command users type."""

from trainer.config import Pix2PixConfig
from trainer.engine.cli import command

main = command("trainer.pix2pix", "trainer.objectives.pix2pix", Pix2PixConfig)

if __name__ == "__main__":
    main()
