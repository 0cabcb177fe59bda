"""Untrained but real hub models at 32 px for inference and save/load tests (no training:
these tests are about the plumbing around the networks), and a CycleGAN that returns its
input (the identity baseline the metrics are checked against)."""

import keras

from hub import caae_nets, nets
from hub.caae import CAAE
from hub.cyclegan import CycleGAN
from hub.labels import LabelSpace

LABELS = LabelSpace((("medium", ("2d", "3d")), ("studio", ("cel", "clay", "pixel"))))


def cyclegan(seed=0, generator="unet", upsample="transpose"):
    keras.utils.set_random_seed(seed)
    config = {"architecture": "cyclegan", "generator": generator, "base_filters": 4, "image_size": 32,
              "size_multiple": nets.size_multiple(generator, 32), "upsample": upsample,
              "domain_a": "medium=3d", "domain_b": "medium=2d", "domain_a_name": "3d", "domain_b_name": "2d"}
    return CycleGAN(*(nets.build_generator(generator, 32, 4, f"generator_{d}", upsample) for d in ("a2b", "b2a")),
                    config)


def caae(seed=0):
    keras.utils.set_random_seed(seed)
    shape = dict(image_size=32, base_filters=4, latent_dim=64, stages=3, latent="spatial")
    config = {"architecture": "caae", **shape, "upsample": "resize", "label_groups": LABELS.to_config(),
              "styles": [{"medium": "2d", "studio": "cel"}, {"medium": "3d", "studio": "clay"}]}
    return CAAE(caae_nets.encoder(**shape),
                caae_nets.decoder(label_dim=LABELS.size, upsample="resize", **shape), config)


def toyworld_caae(seed=0, skips=False):
    """A CAAE with toyworld's media and studios; skips: a U-Net CAAE (film, skips)."""
    keras.utils.set_random_seed(seed)
    labels = LabelSpace((("medium", ("2d", "3d")), ("studio", ("cel", "clay", "glossy", "watercolor"))))
    shape = dict(image_size=32, base_filters=4, latent_dim=64, stages=3, latent="spatial", skips=skips)
    styles = [{"medium": "2d", "studio": "cel"}, {"medium": "2d", "studio": "watercolor"},
              {"medium": "3d", "studio": "clay"}, {"medium": "3d", "studio": "glossy"}]
    config = {"architecture": "caae", **shape, "upsample": "resize", "film": skips, "label_groups": labels.to_config(),
              "styles": styles}
    return CAAE(caae_nets.encoder(**shape),
                caae_nets.decoder(label_dim=labels.size, upsample="resize", film=skips, **shape), config)


def without_onnx(model):
    """`model`, set to save its Keras files only: for tests of what uses a folder, not of the
    export (which takes seconds per network even this small)."""
    model.export_onnx = False
    return model


def identity_model(size):
    def identity(name):
        x = keras.Input((None, None, 3))
        return keras.Model(x, keras.layers.Identity()(x), name=name)

    config = {"domain_a": "medium=3d", "domain_b": "medium=2d", "domain_a_name": "3d",
              "domain_b_name": "2d", "image_size": size, "size_multiple": 1}
    return CycleGAN(identity("a2b"), identity("b2a"), config)
