"""CycleGAN networks, written with keras.layers / keras.ops only so the same
weights load under every Keras backend.

- `unet_generator`: the TensorFlow pix2pix/CycleGAN tutorial's U-Net (what the seed
  report trained), depth following the image size.
- `resnet_generator`: the ResNet-9-blocks generator of Zhu et al. (ICCV 2017), the
  usual CycleGAN choice.
- `light_generator`: a small one for CPUs (inverted residual blocks, resize-conv steps
  up, skips), in the style of AnimeGANv2/v3.
- `patchgan_discriminator`: the tutorial's 70x70 PatchGAN.

Instance normalization is `GroupNormalization(groups=-1)` (one group per channel):
tensorflow-addons' InstanceNormalization is end-of-life and cannot be installed beside
TensorFlow 2.16+, and this is the same maths. Transposed convolutions are
hub.transposed_conv's Conv2DTranspose: Keras' layer, with a kernel gradient that GPUs run
fast on the JAX backend.
"""

import inspect

import keras
from keras import layers

from hub import generators
from hub.generators import unet_depth
from hub.transposed_conv import Conv2DTranspose

WEIGHT_INIT_STDDEV = 0.02  # N(0, 0.02), as the pix2pix and CycleGAN papers
# Widths of the tutorial's 8 down blocks at base_filters=64.
UNET_DOWN_WIDTHS = (64, 128, 256, 512, 512, 512, 512, 512)
UNET_DROPOUT_BLOCKS = 3  # the first three up blocks use dropout 0.5


def _conv_init():
    return keras.initializers.RandomNormal(0.0, WEIGHT_INIT_STDDEV)


def instance_norm(name=None, affine=True):
    """Per-sample, per-channel normalization over H and W.

    The tutorial's version: learned scale ~ N(1, 0.02), offset 0, epsilon 1e-5.
    """
    return layers.GroupNormalization(
        groups=-1,
        epsilon=1e-5,
        center=affine,
        scale=affine,
        gamma_initializer=keras.initializers.RandomNormal(1.0, WEIGHT_INIT_STDDEV),
        name=name,
    )


@keras.saving.register_keras_serializable(package="hub")
class ReflectionPadding2D(layers.Layer):
    """Pads H and W by mirroring (the CycleGAN paper's ResNet generator uses it)."""

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        self.padding = int(padding)

    def call(self, x):
        p = self.padding
        return keras.ops.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], mode="reflect")

    def compute_output_shape(self, input_shape):
        n, h, w, c = input_shape
        grow = lambda s: None if s is None else s + 2 * self.padding  # noqa: E731
        return (n, grow(h), grow(w), c)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


@keras.saving.register_keras_serializable(package="hub")
class BilinearUpsample2x(layers.Layer):
    """x2 bilinear upsampling with half-pixel centres: the same numbers as
    UpSampling2D(2, interpolation="bilinear"), written with slices so that it also runs
    on inputs of any size inside compiled functions and ONNX export. (Keras 3.15's
    UpSampling2D checks its target size with a Python `if`, which fails once
    predict_on_batch retraces for a new image size.)"""

    def call(self, x):
        return self._double(self._double(x, axis=1), axis=2)

    @staticmethod
    def _double(x, axis):
        ops = keras.ops
        if axis == 1:
            previous = ops.concatenate([x[:, :1], x[:, :-1]], axis=1)  # x[i-1], the edge repeated
            following = ops.concatenate([x[:, 1:], x[:, -1:]], axis=1)  # x[i+1]
        else:
            previous = ops.concatenate([x[:, :, :1], x[:, :, :-1]], axis=2)
            following = ops.concatenate([x[:, :, 1:], x[:, :, -1:]], axis=2)
        even, odd = 0.25 * previous + 0.75 * x, 0.75 * x + 0.25 * following
        stacked = ops.stack([even, odd], axis=axis + 1)  # (..., n, 2, ...) -> (..., 2n, ...)
        shape = ops.shape(x)
        new_shape = [shape[0], shape[1], shape[2], shape[3]]
        new_shape[axis] = shape[axis] * 2
        return ops.reshape(stacked, new_shape)

    def compute_output_shape(self, input_shape):
        n, h, w, c = input_shape
        return (n, None if h is None else 2 * h, None if w is None else 2 * w, c)


@keras.saving.register_keras_serializable(package="hub")
class SpaceToDepth2x(layers.Layer):
    """(H, W, C) -> (H/2, W/2, 4C), as tf.nn.space_to_depth(x, 2): each 2x2 block's
    pixels side by side in channels."""

    def call(self, x):
        ops = keras.ops
        n, h, w, c = ops.shape(x)
        x = ops.reshape(x, [n, h // 2, 2, w // 2, 2, c])
        return ops.reshape(ops.transpose(x, [0, 1, 3, 2, 4, 5]), [n, h // 2, w // 2, 4 * c])

    def compute_output_shape(self, input_shape):
        n, h, w, c = input_shape
        return (n, None if h is None else h // 2, None if w is None else w // 2, 4 * c)


@keras.saving.register_keras_serializable(package="hub")
class DepthToSpace2x(layers.Layer):
    """(H, W, 4C) -> (2H, 2W, C), as tf.nn.depth_to_space(x, 2): SpaceToDepth2x undone."""

    def call(self, x):
        ops = keras.ops
        n, h, w, c = ops.shape(x)
        x = ops.reshape(x, [n, h, w, 2, 2, c // 4])
        return ops.reshape(ops.transpose(x, [0, 1, 3, 2, 4, 5]), [n, 2 * h, 2 * w, c // 4])

    def compute_output_shape(self, input_shape):
        n, h, w, c = input_shape
        return (n, None if h is None else 2 * h, None if w is None else 2 * w, c // 4)


def _scaled(width, base_filters):
    return max(1, width * base_filters // 64)


def _down(x, filters, norm, name):
    x = layers.Conv2D(filters, 4, strides=2, padding="same", use_bias=False,
                      kernel_initializer=_conv_init(), name=f"{name}_conv")(x)
    if norm:
        x = instance_norm(name=f"{name}_norm")(x)
    return layers.LeakyReLU(0.3, name=f"{name}_act")(x)  # Keras' default slope, as the tutorial


# The RGB convs and the tanh after them compute in float32 under mixed precision too, so a
# network's output is float32. On an H100, float32 kernels took about a fifth of a bf16
# step's kernel time, this conv's and cuDNN's layout conversions around it among them.
# None (the conv in the policy's bf16, only the tanh in float32) is the candidate:
# bench.jax_train --compare-rgb-conv times it against float32 in one run. Not yet measured
# on a GPU, so float32 stays.
RGB_CONV_DTYPE = "float32"


def tanh_output(x):
    return layers.Activation("tanh", dtype="float32", name="to_rgb_tanh")(x)


def upsample_conv(x, filters, upsample, name, transpose_kernel=4, **conv_kwargs):
    """x2 upsampling: a stride-2 transposed conv (the original networks), or ("resize") a
    bilinear resize then a 3x3 conv, which cannot make checkerboard artifacts
    (Odena et al., Distill 2016). The kernels start as the papers' N(0, 0.02) unless
    conv_kwargs say otherwise."""
    conv_kwargs.setdefault("kernel_initializer", _conv_init())
    if upsample == "transpose":
        return Conv2DTranspose(filters, transpose_kernel, strides=2, padding="same", name=name, **conv_kwargs)(x)
    if upsample == "resize":
        x = BilinearUpsample2x(name=f"{name}_resize")(x)
        return layers.Conv2D(filters, 3, padding="same", name=name, **conv_kwargs)(x)
    raise ValueError(f"unknown upsample {upsample!r}: choose 'transpose' or 'resize'")


def _up(x, filters, dropout, upsample, name):
    x = upsample_conv(x, filters, upsample, f"{name}_conv", use_bias=False)
    x = instance_norm(name=f"{name}_norm")(x)
    if dropout:
        x = layers.Dropout(0.5, name=f"{name}_dropout")(x)
    return layers.ReLU(name=f"{name}_act")(x)


def unet_generator(image_size=256, base_filters=64, upsample="transpose", full_size_head=False,
                   name="unet_generator"):
    """U-Net generator; fully convolutional, sides must be multiples of 2**depth.

    At image_size=256, base_filters=64, upsample="transpose" it is the tutorial's
    network: 54,414,979 params.

    The tutorial's net first sees the image through a stride-2 conv and last draws it by
    upsampling half-size features, so no layer works at full size and a 1 px outline is
    out of its reach. full_size_head=True adds a full-size stage at both ends: a 3x3 conv
    over the image, skipped to the end, where the last x2 step renders features at full
    size and a 3x3 conv turns them (with that skip) into RGB.
    """
    depth = unet_depth(image_size)
    down_widths = [_scaled(w, base_filters) for w in UNET_DOWN_WIDTHS[:depth]]
    if depth > len(UNET_DOWN_WIDTHS):  # larger images: keep the deepest width
        down_widths += [down_widths[-1]] * (depth - len(UNET_DOWN_WIDTHS))

    inputs = keras.Input(shape=(None, None, 3), name="image")
    x = inputs
    if full_size_head:
        full_size = layers.Conv2D(down_widths[0], 3, padding="same", kernel_initializer=_conv_init(),
                                  name="full_size_conv")(inputs)
        full_size = layers.LeakyReLU(0.3, name="full_size_act")(full_size)
    skips = []
    for i, width in enumerate(down_widths):  # (H, W) -> (H/2**depth, W/2**depth)
        x = _down(x, width, norm=i > 0, name=f"down{i}")
        skips.append(x)
    # Up blocks mirror the down blocks (512x4-256-128-64 at depth 8), skipping the bottleneck.
    for i, (width, skip) in enumerate(zip(reversed(down_widths[:-1]), reversed(skips[:-1]))):
        x = _up(x, width, dropout=i < UNET_DROPOUT_BLOCKS, upsample=upsample, name=f"up{i}")
        x = layers.Concatenate(name=f"skip{i}")([x, skip])
    if full_size_head:
        x = _up(x, down_widths[0], dropout=False, upsample=upsample, name="up_full_size")
        x = layers.Concatenate(name="skip_full_size")([x, full_size])
        x = layers.Conv2D(3, 3, padding="same", kernel_initializer=_conv_init(), dtype=RGB_CONV_DTYPE,
                          name="to_rgb")(x)
    else:
        x = upsample_conv(x, 3, upsample, "to_rgb", dtype=RGB_CONV_DTYPE)
    return keras.Model(inputs, tanh_output(x), name=name)


def _resnet_block(x, filters, name):
    y = ReflectionPadding2D(1, name=f"{name}_pad1")(x)
    y = layers.Conv2D(filters, 3, kernel_initializer=_conv_init(), name=f"{name}_conv1")(y)
    y = instance_norm(name=f"{name}_norm1", affine=False)(y)
    y = layers.ReLU(name=f"{name}_act")(y)
    y = ReflectionPadding2D(1, name=f"{name}_pad2")(y)
    y = layers.Conv2D(filters, 3, kernel_initializer=_conv_init(), name=f"{name}_conv2")(y)
    y = instance_norm(name=f"{name}_norm2", affine=False)(y)
    return layers.Add(name=f"{name}_add")([x, y])


def resnet_generator(base_filters=64, residual_blocks=9, upsample="transpose", name="resnet_generator"):
    """ResNet generator of the CycleGAN paper (c7s1-64, d128, d256, R256 x9, u128, u64,
    c7s1-3), with the official code's biases and affine-free instance norm:
    11,378,179 params at base_filters=64. Sides must be multiples of 4.
    """
    f = base_filters
    inputs = keras.Input(shape=(None, None, 3), name="image")
    x = ReflectionPadding2D(3, name="stem_pad")(inputs)
    x = layers.Conv2D(f, 7, kernel_initializer=_conv_init(), name="stem_conv")(x)
    x = instance_norm(name="stem_norm", affine=False)(x)
    x = layers.ReLU(name="stem_act")(x)
    for i, width in enumerate((2 * f, 4 * f)):  # (H, W) -> (H/4, W/4)
        x = layers.Conv2D(width, 3, strides=2, padding="same",
                          kernel_initializer=_conv_init(), name=f"down{i}_conv")(x)
        x = instance_norm(name=f"down{i}_norm", affine=False)(x)
        x = layers.ReLU(name=f"down{i}_act")(x)
    for i in range(residual_blocks):
        x = _resnet_block(x, 4 * f, name=f"res{i}")
    for i, width in enumerate((2 * f, f)):  # back to (H, W)
        x = upsample_conv(x, width, upsample, f"up{i}_conv", transpose_kernel=3)
        x = instance_norm(name=f"up{i}_norm", affine=False)(x)
        x = layers.ReLU(name=f"up{i}_act")(x)
    x = ReflectionPadding2D(3, name="head_pad")(x)
    x = layers.Conv2D(3, 7, kernel_initializer=_conv_init(), dtype=RGB_CONV_DTYPE, name="to_rgb")(x)
    return keras.Model(inputs, tanh_output(x), name=name)


# Widths of the light generator's stages at base_filters=64: full size (without
# full_size_head), 1/2, 1/4, and 1/8, where its inverted residual blocks work.
LIGHT_WIDTHS = (16, 32, 64, 128)
LIGHT_BLOCKS = 4
LIGHT_EXPANSION = 2


def _light_conv(x, filters, strides, norm, name, separable=False):
    if separable:  # MobileNet's: a 3x3 depthwise conv, then a 1x1 across channels
        x = layers.DepthwiseConv2D(3, strides=strides, padding="same", use_bias=False,
                                   depthwise_initializer=_conv_init(), name=f"{name}_depthwise")(x)
        x = layers.Conv2D(filters, 1, use_bias=False, kernel_initializer=_conv_init(), name=f"{name}_conv")(x)
    else:
        x = layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False,
                          kernel_initializer=_conv_init(), name=f"{name}_conv")(x)
    if norm:
        x = instance_norm(name=f"{name}_norm")(x)
    return layers.LeakyReLU(0.2, name=f"{name}_act")(x)


def _inverted_residual(x, filters, name):
    """MobileNetV2's block, as AnimeGANv2's generator uses it: 1x1 expand, 3x3 depthwise,
    1x1 project (linear), added to its input."""
    y = layers.Conv2D(filters * LIGHT_EXPANSION, 1, use_bias=False, kernel_initializer=_conv_init(),
                      name=f"{name}_expand")(x)
    y = instance_norm(name=f"{name}_expand_norm")(y)
    y = layers.LeakyReLU(0.2, name=f"{name}_expand_act")(y)
    y = layers.DepthwiseConv2D(3, padding="same", depthwise_initializer=_conv_init(), name=f"{name}_depthwise")(y)
    y = layers.LeakyReLU(0.2, name=f"{name}_depthwise_act")(y)
    y = layers.Conv2D(filters, 1, use_bias=False, kernel_initializer=_conv_init(), name=f"{name}_project")(y)
    y = instance_norm(name=f"{name}_project_norm")(y)
    return layers.Add(name=f"{name}_add")([x, y])


def _light_up(x, filters, norm, name):
    """x2 up, cheaply: a 1x1 conv to the new width at the low resolution, a bilinear
    resize, then a 3x3 depthwise conv that smooths it (no checkerboard, few MACs)."""
    x = layers.Conv2D(filters, 1, use_bias=not norm, kernel_initializer=_conv_init(), name=f"{name}_conv")(x)
    if norm:
        x = instance_norm(name=f"{name}_norm")(x)
    x = BilinearUpsample2x(name=f"{name}_resize")(x)
    x = layers.DepthwiseConv2D(3, padding="same", depthwise_initializer=_conv_init(), name=f"{name}_depthwise")(x)
    return layers.LeakyReLU(0.2, name=f"{name}_act")(x)


def light_generator(base_filters=64, blocks=LIGHT_BLOCKS, full_size_head=False, name="light_generator"):
    """A small generator for CPUs, in the style of AnimeGANv2/v3: strided 3x3 convs down
    to 1/8 size, inverted residual blocks there, and resize-conv steps back up, each joined
    by its encoder stage's output (a U-Net's skips, which keep edges). Sides must be
    multiples of 8.

    full_size_head gives every pixel its own path in and out at half size: the image
    reaches the first conv as 2x2 blocks side by side in channels (space-to-depth), and
    the last conv gives each half-size position its 2x2 block of RGB (depth-to-space,
    ESPCN's sub-pixel conv). No conv runs at full size. It replaced a full-size stage (a
    3x3 conv in, a resize step and a 3x3 RGB conv out) and two of six blocks: distilled
    from the 128 px demo U-Net, it drew outlines about as well, in two thirds of the time
    (docs/results.md, "The app's demo weights").
    Without it, the image goes through a stride-2 conv, and the RGB comes from a 3x3 conv
    after a last resize step.

    With full_size_head its last skip is added rather than joined and its two strided convs
    are separable, which made it faster again at about the same outline F1.

    At base_filters=64 with full_size_head: 307,308 params and 0.44 G multiply-adds for a
    256 px frame (the seed's U-Net: 54 M and 6.0 G; the cartoon preset's: 39 M and 16 G).
    Its instance norms work at 1/4 and 1/8 size only: at full and half size they took ONNX
    Runtime longer than all its convolutions.
    """
    full, half, quarter, eighth = (_scaled(w, base_filters) for w in LIGHT_WIDTHS)
    inputs = keras.Input(shape=(None, None, 3), name="image")
    x = SpaceToDepth2x(name="space_to_depth")(inputs) if full_size_head else inputs
    skips = []
    for i, width in enumerate((half, quarter, eighth)):  # (H, W) -> (H/8, W/8)
        # With the sub-pixel head the two strided convs are separable: faster in ONNX Runtime
        # at about the same outline F1 (two seeds; docs/results.md).
        x = _light_conv(x, width, 1 if i == 0 and full_size_head else 2, norm=i > 0, name=f"down{i}",
                        separable=i > 0 and full_size_head)
        skips.append(x)
    for i in range(blocks):
        x = _inverted_residual(x, eighth, name=f"block{i}")
    for i, (width, skip) in enumerate(((quarter, skips[1]), (half, skips[0]))):
        x = _light_up(x, width, norm=True, name=f"up{i}")
        # With the sub-pixel head the last skip is added, not joined: the RGB conv then reads
        # 32 channels, not 64: faster in ONNX Runtime at the same outline F1.
        last = i == 1 and full_size_head
        x = (layers.Add if last else layers.Concatenate)(name=f"skip{i}")([x, skip])
    if full_size_head:
        x = layers.Conv2D(12, 3, padding="same", kernel_initializer=_conv_init(), dtype=RGB_CONV_DTYPE,
                          name="to_rgb")(x)
        x = DepthToSpace2x(name="depth_to_space")(x)
    else:
        x = _light_up(x, full, norm=False, name="up_full_size")
        x = layers.Conv2D(3, 3, padding="same", kernel_initializer=_conv_init(), dtype=RGB_CONV_DTYPE,
                          name="to_rgb")(x)
    return keras.Model(inputs, tanh_output(x), name=name)


def patchgan_discriminator(base_filters=64, name="patchgan_discriminator", channels=3, n_layers=3):
    """PatchGAN: one real/fake logit per overlapping patch; `n_layers` stride-2 convs (3: the
    paper's 70x70 patches, as pytorch-CycleGAN-and-pix2pix's n_layers_D). channels=6 is
    pix2pix's conditional discriminator, which judges an input and its translation side by side.

    2,765,569 params at base_filters=64, 3 layers.
    """
    inputs = keras.Input(shape=(None, None, channels), name="image")
    x = inputs
    for i in range(n_layers):  # (H, W) -> (H / 2**n_layers, W / 2**n_layers)
        x = _down(x, _scaled(64 * min(2 ** i, 8), base_filters), norm=i > 0, name=f"down{i}")
    x = layers.ZeroPadding2D(name="pad0")(x)
    x = layers.Conv2D(_scaled(64 * min(2 ** n_layers, 8), base_filters), 4, use_bias=False,
                      kernel_initializer=_conv_init(), name="conv")(x)
    x = instance_norm(name="norm")(x)
    x = layers.LeakyReLU(0.3, name="act")(x)
    x = layers.ZeroPadding2D(name="pad1")(x)
    outputs = layers.Conv2D(1, 4, kernel_initializer=_conv_init(), dtype="float32",
                            name="logits")(x)
    return keras.Model(inputs, outputs, name=name)


def build_generator(kind, image_size, base_filters, name, upsample="transpose", full_size_head=False):
    """The generator named by `--generator` (hub.generators: unet | resnet | light), built by
    its registry entry's builder with what that builder takes of these arguments; a flag it
    does not fit is a ValueError."""
    build = globals()[generators.check(kind, upsample, full_size_head).builder]
    given = {"image_size": image_size, "base_filters": base_filters, "upsample": upsample,
             "full_size_head": full_size_head, "name": name}
    taken = inspect.signature(build).parameters
    return build(**{key: value for key, value in given.items() if key in taken})


size_multiple = generators.size_multiple
