"""CAAE networks (Zhang et al., CVPR 2017, as the seed report adapted them), written
with keras.layers only.

At image_size=256, base_filters=64, latent_dim=256, stages=5 and a 6-wide label they
match the seed's tables: encoder 27,923,648 params, decoder 60,893,699, image
discriminator 13,204,065, latent discriminator 19,073.

`stages` is the number of stride-2 convolutions; the feature map between the convs and
the dense layers is image_size / 2**stages on a side (8 at 256 px, as the seed).
The discriminators return logits (the seed's sigmoid lives in the BCE loss, which is
the numerically stable form of the same maths).

`latent` picks the form of z. "dense" is the seed's: the bottleneck features are
flattened and densed to a vector of latent_dim. "spatial" keeps the bottleneck's grid:
a 1x1 conv gives latent_dim / side**2 channels per cell, so z says where things are and
the decoder need not guess it back (sharper reconstructions at the same latent size).
"""

import keras
from keras import layers

from hub import nets

LEAKY_SLOPE = 0.2
# Widths at base_filters=64, per stage, deepest last.
ENCODER_WIDTHS = (64, 128, 256, 512, 1024)
# The seed's decoder is 4x as wide as the encoder at each resolution (2048 at 16 px
# where the encoder has 512, ... 256 at 128 px), then a last transposed conv to 3 channels.
DECODER_WIDTH_FACTOR = 4
IMAGE_DISC_WIDTHS = (32, 64, 128, 256, 512)
LATENT_DISC_WIDTHS = (64, 32, 16)
LABEL_CLASSIFIER_WIDTHS = (256, 256)
LATENT_KINDS = ("dense", "spatial")


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


def latent_shape(image_size, latent_dim, stages, latent="dense"):
    """The shape of one z: (latent_dim,) dense, (side, side, channels) spatial."""
    side = bottleneck_side(image_size, stages)
    if latent == "dense":
        return (latent_dim,)
    if latent != "spatial":
        raise ValueError(f"unknown latent {latent!r}: choose one of {LATENT_KINDS}")
    channels, remainder = divmod(latent_dim, side * side)
    if remainder or not channels:
        raise ValueError(f"a spatial latent of size {latent_dim} must be a multiple of the "
                         f"{side}x{side} bottleneck ({side * side})")
    return (side, side, channels)


def skip_widths(image_size=256, base_filters=64, stages=5):
    """The widths of the encoder's skips (skips=True), finest first: the full-size stem's,
    then each stride-2 stage's but the deepest, whose features become z."""
    bottleneck_side(image_size, stages)
    widths = _widths(ENCODER_WIDTHS, stages, base_filters)
    return [widths[0], *widths[:-1]]


def encoder(image_size=256, base_filters=64, latent_dim=256, stages=5, latent="dense", skips=False, name="encoder"):
    """Image (H, W, 3) in [-1, 1] -> latent z in [-1, 1], of latent_shape(...).

    skips=True (a spatial latent): also a 3x3 conv's features of the full-size image and
    each stage's features but the deepest, finest first, as U-Net skips for the decoder:
    the model outputs [z, full size, 1/2, 1/4, ...]. The bottleneck alone cannot carry a
    1 px line; the skips can, and the decoder's label modulates them (decoder)."""
    shape = latent_shape(image_size, latent_dim, stages, latent)
    if skips and latent != "spatial":
        raise ValueError("skips need a spatial latent (--latent spatial)")
    inputs = keras.Input(shape=(image_size, image_size, 3), name="image")
    x = inputs
    features = []
    if skips:
        stem = layers.Conv2D(skip_widths(image_size, base_filters, stages)[0], 3, padding="same", name="full_size")(x)
        features.append(layers.LeakyReLU(LEAKY_SLOPE, name="full_size_act")(stem))
    for i, width in enumerate(_widths(ENCODER_WIDTHS, stages, base_filters)):
        x = layers.Conv2D(width, 4, strides=2, padding="same", name=f"conv{i}")(x)
        x = layers.LeakyReLU(LEAKY_SLOPE, name=f"act{i}")(x)
        features.append(x)
    if latent == "dense":
        x = layers.Flatten(name="flatten")(x)
        z = layers.Dense(latent_dim, activation="tanh", dtype="float32", name="z")(x)
    else:
        z = layers.Conv2D(shape[-1], 1, activation="tanh", dtype="float32", name="z")(x)
    if skips:
        return keras.Model(inputs, [z, *features[:-1]], name=name)
    return keras.Model(inputs, z, name=name)


@keras.saving.register_keras_serializable(package="hub")
class FiLM(layers.Layer):
    """Feature-wise linear modulation (Perez et al., AAAI 2018): features x (N, H, W, C)
    and a condition c (N, D) -> x * (1 + gamma) + beta, where gamma = c W_g + b_g and
    beta = c W_b + b_b are per-channel. The weights start at zero, so a new FiLM passes
    x through and the label's say grows with training."""

    def build(self, input_shape):
        (*_, channels), (_, condition) = input_shape
        self.gamma_kernel = self.add_weight(name="gamma_kernel", shape=(condition, channels), initializer="zeros")
        self.gamma_bias = self.add_weight(name="gamma_bias", shape=(channels,), initializer="zeros")
        self.beta_kernel = self.add_weight(name="beta_kernel", shape=(condition, channels), initializer="zeros")
        self.beta_bias = self.add_weight(name="beta_bias", shape=(channels,), initializer="zeros")

    def call(self, inputs):
        x, condition = inputs
        condition = keras.ops.cast(condition, x.dtype)
        gamma = keras.ops.matmul(condition, keras.ops.cast(self.gamma_kernel, x.dtype)) + keras.ops.cast(
            self.gamma_bias, x.dtype)
        beta = keras.ops.matmul(condition, keras.ops.cast(self.beta_kernel, x.dtype)) + keras.ops.cast(
            self.beta_bias, x.dtype)
        return x * (1 + gamma[:, None, None, :]) + beta[:, None, None, :]  # (N, 1, 1, C) over H and W

    def compute_output_shape(self, input_shape):
        return input_shape[0]


def decoder(image_size=256, label_dim=6, base_filters=64, latent_dim=256, stages=5, latent="dense",
            upsample="transpose", film=False, skips=False, name="decoder"):
    """(z, label vector) -> image (H, W, 3) in [-1, 1]. upsample="resize" swaps the seed's
    transposed convs for bilinear x2 + 3x3 conv (hub.nets.upsample_conv): no checkerboard.
    film: the label also modulates every upsampling stage's features (FiLM), not only the
    bottleneck's, so that it can reach the fine scales where outlines and texture live.

    skips=True: the inputs are [z, label, *the encoder's skips] and the decoder is a
    U-Net's other half, as wide as the encoder at each scale: each stage joins the skip
    of its size, after a FiLM of the label, and the last joins the full-size stem's
    features, so a 3x3 conv at full size draws the image (a 1 px line is in reach)."""
    shape = latent_shape(image_size, latent_dim, stages, latent)
    side = bottleneck_side(image_size, stages)
    z = keras.Input(shape=shape, name="z")
    label = keras.Input(shape=(label_dim,), name="label")
    encoder_widths = _widths(ENCODER_WIDTHS, stages, base_filters)
    skip_inputs = []
    if skips:
        if latent != "spatial":
            raise ValueError("skips need a spatial latent (--latent spatial)")
        skip_inputs = [keras.Input(shape=(image_size // 2**i, image_size // 2**i, width), name=f"skip{i}")
                       for i, width in enumerate(skip_widths(image_size, base_filters, stages))]
    top = encoder_widths[-1]
    if latent == "dense":
        x = layers.Concatenate(name="z_label")([z, label])
        x = layers.Dense(side * side * top, name="dense")(x)
        x = layers.Reshape((side, side, top), name="reshape")(x)
    else:  # the label joins every cell of z as extra channels
        planes = layers.Reshape((1, 1, label_dim), name="label_cell")(label)
        planes = layers.UpSampling2D(side, name="label_planes")(planes)
        x = layers.Concatenate(name="z_label")([z, planes])
        x = layers.Conv2D(top, 3, padding="same", name="dense")(x)
    x = layers.LeakyReLU(LEAKY_SLOPE, name="dense_act")(x)
    factor = 1 if skips else DECODER_WIDTH_FACTOR
    for i, width in enumerate(factor * w for w in reversed(encoder_widths[:-1])):
        x = nets.upsample_conv(x, width, upsample, f"deconv{i}", transpose_kernel=3,
                          kernel_initializer="glorot_uniform")  # Keras' default, as the seed's
        x = FiLM(name=f"film{i}")([x, label]) if film else x
        x = layers.LeakyReLU(LEAKY_SLOPE, name=f"act{i}")(x)
        if skips:  # the encoder's features of this size, restyled by the label
            skip = FiLM(name=f"skip_film{i}")([skip_inputs[stages - 1 - i], label])
            x = layers.Concatenate(name=f"join{i}")([x, skip])
    if upsample == "resize" or skips:
        # One 3x3 conv over bilinearly upsampled features cannot draw a 1 px line, so the
        # last x2 step renders at full size with the first stage's width, then to RGB.
        x = nets.upsample_conv(x, encoder_widths[0], upsample, "full_size", kernel_initializer="glorot_uniform")
        x = FiLM(name="full_size_film")([x, label]) if film else x
        x = layers.LeakyReLU(LEAKY_SLOPE, name="full_size_act")(x)
        if skips:
            skip = FiLM(name="skip_film_full_size")([skip_inputs[0], label])
            x = layers.Concatenate(name="join_full_size")([x, skip])
        x = layers.Conv2D(3, 3, padding="same", dtype=nets.RGB_CONV_DTYPE, name="to_rgb")(x)
    else:
        x = nets.upsample_conv(x, 3, upsample, "to_rgb", transpose_kernel=3, kernel_initializer="glorot_uniform",
                          dtype=nets.RGB_CONV_DTYPE)
    return keras.Model([z, label, *skip_inputs], nets.tanh_output(x), name=name)


def _dense_head(z, widths, outputs, name):
    """Flatten z, dense layers of `widths` with LeakyReLU, then `outputs` float32 logits."""
    x = layers.Flatten(name="flatten")(z)
    for i, width in enumerate(widths):
        x = layers.Dense(width, name=f"dense{i}")(x)
        x = layers.LeakyReLU(LEAKY_SLOPE, name=f"act{i}")(x)
    return layers.Dense(outputs, dtype="float32", name=name)(x)


def latent_discriminator(z_shape=(256,), name="latent_discriminator"):
    """z -> logit that z was drawn from the uniform prior rather than encoded."""
    z = keras.Input(shape=tuple(z_shape), name="z")
    return keras.Model(z, _dense_head(z, LATENT_DISC_WIDTHS, 1, "logit"), name=name)


def label_classifier(z_shape, label_dim, name="label_classifier"):
    """z -> logits of some label groups (one softmax per group): the adversary of Lample et al.'s
    Fader networks (NeurIPS 2017). The encoder learns to leave it guessing, so z holds
    the content and the decoder must take the style from the label."""
    z = keras.Input(shape=tuple(z_shape), name="z")
    return keras.Model(z, _dense_head(z, LABEL_CLASSIFIER_WIDTHS, label_dim, "logits"), name=name)


def _image_features(x, stages, base_filters):
    """The image discriminator's 5x5 stride-2 convs, then dense 256: its features phi(x)."""
    for i, width in enumerate(_widths(IMAGE_DISC_WIDTHS, stages, base_filters)):
        x = layers.Conv2D(width, 5, strides=2, padding="same", name=f"conv{i}")(x)
        x = layers.LeakyReLU(LEAKY_SLOPE, name=f"act{i}")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(_widths((256,), 1, base_filters)[0], name="dense")(x)
    return layers.LeakyReLU(LEAKY_SLOPE, name="dense_act")(x)


def _image_head(x, stages, base_filters, outputs, name):
    """The image discriminator's features, then `outputs` logits."""
    return layers.Dense(outputs, dtype="float32", name=name)(_image_features(x, stages, base_filters))


def image_discriminator(image_size=256, label_dim=6, base_filters=64, stages=5, projection=False,
                        name="image_discriminator"):
    """(image, label vector) -> logit that the image is a real one of that label.

    The seed's: the label is densed to an image-sized plane and joins the image as a 4th
    channel. projection=True: Miyato and Koyama's projection discriminator (ICLR 2018),
    logit = psi(phi(x)) + (label E) . phi(x), with phi the image's features alone; the
    label's term is linear in the label, so a blend of labels is judged as the blend.
    """
    bottleneck_side(image_size, stages)
    image = keras.Input(shape=(image_size, image_size, 3), name="image")
    label = keras.Input(shape=(label_dim,), name="label")
    if projection:
        features = _image_features(image, stages, base_filters)
        unconditional = layers.Dense(1, dtype="float32", name="logit_unconditional")(features)
        embedded = layers.Dense(features.shape[-1], use_bias=False, name="label_embedding")(label)
        label_term = layers.Dot(axes=1, dtype="float32", name="label_term")([embedded, features])
        return keras.Model([image, label], layers.Add(dtype="float32", name="logit")([unconditional, label_term]),
                           name=name)
    plane = layers.Dense(image_size * image_size, name="label_dense")(label)
    plane = layers.Reshape((image_size, image_size, 1), name="label_plane")(plane)
    x = layers.Concatenate(name="image_label")([image, plane])
    return keras.Model([image, label], _image_head(x, stages, base_filters, 1, "logit"), name=name)


def pair_discriminator(image_size=256, label_dim=6, base_filters=64, name="pair_discriminator"):
    """(image, its restyling, the label it was restyled under) -> PatchGAN logits that the
    restyling is the image's real pair under that label: pix2pix's conditional
    discriminator (the two images side by side in channels), with the label as planes."""
    image = keras.Input(shape=(image_size, image_size, 3), name="image")
    restyled = keras.Input(shape=(image_size, image_size, 3), name="restyled")
    label = keras.Input(shape=(label_dim,), name="label")
    planes = layers.Reshape((1, 1, label_dim), name="label_cell")(label)
    planes = layers.UpSampling2D(image_size, name="label_planes")(planes)
    x = layers.Concatenate(name="pair_label")([image, restyled, planes])
    patches = nets.patchgan_discriminator(base_filters, channels=6 + label_dim)
    return keras.Model([image, restyled, label], patches(x), name=name)


def style_classifier(image_size=256, label_dim=6, base_filters=64, stages=5, name="style_classifier"):
    """Image -> label logits (one softmax per group), trained on real images: the judge of
    StarGAN's domain-classification loss (Choi et al., CVPR 2018), with the image
    discriminator's convs."""
    bottleneck_side(image_size, stages)
    image = keras.Input(shape=(image_size, image_size, 3), name="image")
    return keras.Model(image, _image_head(image, stages, base_filters, label_dim, "logits"), name=name)
