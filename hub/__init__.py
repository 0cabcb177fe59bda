"""What other projects import: `from hub import CycleGAN, CAAE`, then
`from_pretrained(folder_or_repo_id)` and `translate` / `restyle`."""

from hub.caae import CAAE
from hub.cyclegan import CycleGAN

__all__ = ["CAAE", "CycleGAN"]
