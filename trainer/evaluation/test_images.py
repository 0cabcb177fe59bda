"""The held-out images an evaluation scores, decoded once per run: the paired metrics and
the style scores read the same files, with one decoder (trainer.data.arrays: Pillow,
centre crop, bilinear resize)."""

import numpy as np

from trainer.data.arrays import decode_labelled


class TestImages:
    """uint8 images at `size`, by path; a file that does not decode is left out with a warning."""

    __test__ = False  # a helper, not a pytest class

    def __init__(self, size):
        self.size = size
        self._decoded = {}  # path -> uint8 (size, size, 3), or None where it did not decode

    def decode(self, paths):
        """(indices of the paths that decode, uint8 (N, size, size, 3) of those)."""
        new = [p for p in dict.fromkeys(map(str, paths)) if p not in self._decoded]
        if new:
            images, kept = decode_labelled(new, np.arange(len(new))[:, None], self.size)
            self._decoded.update(dict.fromkeys(new))
            self._decoded.update({new[int(i)]: image for i, image in zip(kept[:, 0], images)})
        index = [i for i, p in enumerate(paths) if self._decoded[str(p)] is not None]
        if not index:
            raise ValueError(f"none of the {len(paths)} images could be read")
        return index, np.stack([self._decoded[str(paths[i])] for i in index])
