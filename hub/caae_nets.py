"""CAAE networks (Zhang et al., CVPR 2017, as the seed report adapted them), written
with keras.layers only.

At image_size=256, base_filters=64, latent_dim=256, stages=5 and a 6-wide label they
match the seed's tables: encoder 27,923,648 params, decoder 60,893,699, image
discriminator 13,204,065, latent discriminator 19,073.

`stages` is the number of stride-2 convolutions; the feature map between the convs and
the dense layers is image_size / 2**stages on a side (8 at 256 px, as the seed).
The discriminators return logits (the seed's sigmoid lives in the BCE loss, which is
the numerically stable form of the same maths).
"""

import keras
from keras import layers

LEAKY_SLOPE = 0.2
# Widths at base_filters=64, per stage, deepest last.
ENCODER_WIDTHS = (64, 128, 256, 512, 1024)
# The seed's decoder is 4x as wide as the encoder at each resolution (2048 at 16 px
# where the encoder has 512, ... 256 at 128 px), then a last transposed conv to 3 channels.
DECODER_WIDTH_FACTOR = 4
IMAGE_DISC_WIDTHS = (32, 64, 128, 256, 512)
LATENT_DISC_WIDTHS = (64, 32, 16)


def _widths(table, stages, base_filters):
    """The table's widths for `stages` stages (extended by doubling), scaled to base_filters."""
    widths = list(table)
    while len(widths) < stages:
        widths.append(widths[-1] * 2)
    return [max(1, w * base_filters // 64) for w in widths[:stages]]


def bottleneck_side(image_size, stages):
    side, remainder = divmod(image_size, 2**stages)
    if remainder or side < 1:
        raise ValueError(f"image size {image_size} must be a multiple of 2**stages = {2**stages}")
    return side


def encoder(image_size=256, base_filters=64, latent_dim=256, stages=5, name="encoder"):
    """Image (H, W, 3) in [-1, 1] -> latent z in [-1, 1]^latent_dim."""
    bottleneck_side(image_size, stages)
    inputs = keras.Input(shape=(image_size, image_size, 3), name="image")
    x = inputs
    for i, width in enumerate(_widths(ENCODER_WIDTHS, stages, base_filters)):
        x = layers.Conv2D(width, 4, strides=2, padding="same", name=f"conv{i}")(x)
        x = layers.LeakyReLU(LEAKY_SLOPE, name=f"act{i}")(x)
    x = layers.Flatten(name="flatten")(x)
    z = layers.Dense(latent_dim, activation="tanh", dtype="float32", name="z")(x)
    return keras.Model(inputs, z, name=name)


def decoder(image_size=256, label_dim=6, base_filters=64, latent_dim=256, stages=5, name="decoder"):
    """(z, label vector) -> image (H, W, 3) in [-1, 1]."""
    side = bottleneck_side(image_size, stages)
    z = keras.Input(shape=(latent_dim,), name="z")
    label = keras.Input(shape=(label_dim,), name="label")
    encoder_widths = _widths(ENCODER_WIDTHS, stages, base_filters)
    top = encoder_widths[-1]
    x = layers.Concatenate(name="z_label")([z, label])
    x = layers.Dense(side * side * top, name="dense")(x)
    x = layers.Reshape((side, side, top), name="reshape")(x)
    x = layers.LeakyReLU(LEAKY_SLOPE, name="dense_act")(x)
    for i, width in enumerate(DECODER_WIDTH_FACTOR * w for w in reversed(encoder_widths[:-1])):
        x = layers.Conv2DTranspose(width, 3, strides=2, padding="same", name=f"deconv{i}")(x)
        x = layers.LeakyReLU(LEAKY_SLOPE, name=f"act{i}")(x)
    image = layers.Conv2DTranspose(3, 3, strides=2, padding="same", activation="tanh",
                                   dtype="float32", name="to_rgb")(x)
    return keras.Model([z, label], image, name=name)


def latent_discriminator(latent_dim=256, name="latent_discriminator"):
    """z -> logit that z was drawn from the uniform prior rather than encoded."""
    z = keras.Input(shape=(latent_dim,), name="z")
    x = z
    for i, width in enumerate(LATENT_DISC_WIDTHS):
        x = layers.Dense(width, name=f"dense{i}")(x)
        x = layers.LeakyReLU(LEAKY_SLOPE, name=f"act{i}")(x)
    logit = layers.Dense(1, dtype="float32", name="logit")(x)
    return keras.Model(z, logit, name=name)


def image_discriminator(image_size=256, label_dim=6, base_filters=64, stages=5,
                        name="image_discriminator"):
    """(image, label vector) -> logit that the image is a real one of that label.

    The label is densed to an image-sized plane and joins the image as a 4th channel.
    """
    bottleneck_side(image_size, stages)
    image = keras.Input(shape=(image_size, image_size, 3), name="image")
    label = keras.Input(shape=(label_dim,), name="label")
    plane = layers.Dense(image_size * image_size, name="label_dense")(label)
    plane = layers.Reshape((image_size, image_size, 1), name="label_plane")(plane)
    x = layers.Concatenate(name="image_label")([image, plane])
    for i, width in enumerate(_widths(IMAGE_DISC_WIDTHS, stages, base_filters)):
        x = layers.Conv2D(width, 5, strides=2, padding="same", name=f"conv{i}")(x)
        x = layers.LeakyReLU(LEAKY_SLOPE, name=f"act{i}")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(_widths((256,), 1, base_filters)[0], name="dense")(x)
    x = layers.LeakyReLU(LEAKY_SLOPE, name="dense_act")(x)
    logit = layers.Dense(1, dtype="float32", name="logit")(x)
    return keras.Model([image, label], logit, name=name)
