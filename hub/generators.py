"""The CycleGAN generators, as one registry that every place reads: hub.nets builds each
one by its entry's builder, trainer.config checks a config's --generator, --upsample and
--full-size-head against it when the config is built, and trainer.objectives.cut reads the encoder
layers its PatchNCE compares. A new generator is an entry here plus its builder in
hub.nets. No Keras here: configs are checked before Keras is imported."""

import math
from dataclasses import dataclass
from typing import Callable


def unet_depth(image_size):
    """Number of down blocks: log2 of the training size (8 at 256, 6 at 64)."""
    depth = int(math.log2(image_size))
    if 2**depth != image_size or depth < 2:
        raise ValueError(f"U-Net image size must be a power of two >= 4, got {image_size}")
    return depth


@dataclass(frozen=True)
class Generator:
    name: str  # as messages call it
    builder: str  # the hub.nets function that builds it; it takes what it needs of image_size,
    #               base_filters, upsample, full_size_head and name
    upsamples: tuple  # the --upsample ways it has
    full_size_head: bool  # whether --full-size-head is a stage it has
    size_multiple: Callable[[int], int]  # training size -> what input sides must be multiples of
    encoder_layers: tuple  # what CUT's PatchNCE reads: five layers, pixels first (the official code's 0, 4, 8,
    #                        12 and 16 of its ResNet)
    why_no_head: str = ""  # said when --full-size-head is asked of one that has none


GENERATORS = {
    "unet": Generator("the U-Net", "unet_generator", ("transpose", "resize"), True, lambda size: 2 ** unet_depth(size),
                      ("image", "down0_act", "down1_act", "down2_act", "down3_act")),
    "resnet": Generator("the ResNet", "resnet_generator", ("transpose", "resize"), False, lambda size: 4,
                        ("stem_pad", "stem_act", "down0_act", "down1_act", "res0_add"),
                        why_no_head="the ResNet works at full size at both ends already"),
    "light": Generator("the light generator", "light_generator", ("resize",), True, lambda size: 8,
                       ("image", "down0_act", "down1_act", "down2_act", "block0_add")),
}


def check(kind, upsample="transpose", full_size_head=False):
    """The registry's entry for `kind`, or a ValueError naming the flag that does not fit it."""
    if kind not in GENERATORS:
        raise ValueError(f"unknown generator {kind!r}: choose one of {', '.join(GENERATORS)}")
    entry = GENERATORS[kind]
    if upsample not in entry.upsamples:
        ways = {"resize": "resizing", "transpose": "transposed convolutions"}
        raise ValueError(f"--generator {kind} upsamples by {' or '.join(ways[w] for w in entry.upsamples)} only: "
                         f"add --upsample {entry.upsamples[0]}" + (" (--preset cartoon sets it)"
                                                                    if entry.upsamples[0] == "resize" else ""))
    if full_size_head and not entry.full_size_head:
        having = " and ".join(g.name for g in GENERATORS.values() if g.full_size_head)
        raise ValueError(f"--full-size-head is a stage of {having}: {entry.why_no_head}")
    return entry


def size_multiple(kind, image_size):
    """Input sides must be multiples of this for the generator to be exact."""
    return GENERATORS[kind].size_multiple(image_size)
