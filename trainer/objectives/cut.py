"""CUT and FastCUT (Park et al., "Contrastive Learning for Unpaired Image-to-Image
Translation", ECCV 2020): a generator kept faithful to its input by PatchNCE, a
contrastive loss between patches of the output and of the input, instead of a second
generator and the cycle. `python -m trainer.cyclegan --objective cut|fastcut`.

Each patch of G(x), seen through G's own encoder and a small MLP head, must match the
input patch at its place among the other patches of x (trainer.objectives.losses.patch_nce_loss),
at --nce-patches places (256) of each of five encoder layers, raw pixels included
(--nce-layers), with the paper's temperature 0.07 (--nce-temperature).
- CUT: GAN + (NCE(x, G(x)) + NCE(y, G(y))) / 2, the second an identity term (lambda 1);
- FastCUT: GAN + 10 NCE(x, G(x)), no identity term: fewer passes, a freer translation,
  and flip equivariance (the batch mirrored at random, on top of --flip's per image).
--nce-weight, --nce-idt and --flip-equivariance set each part for either objective.
Both directions are trained, each by its own generator, discriminator and heads, so the
model folder is a `hub.CycleGAN` one. The paper trains one direction; a direction here
costs what one CUT costs. The input's features come from the translation's own forward
pass, so a PatchNCE term adds one encoder pass (over the output), not two.

Names as in trainer.objectives.cyclegan: gen_G maps A to B and is judged by disc_Y; gen_F the reverse.
"""

import keras
from keras import ops

from hub.generators import GENERATORS
from trainer.engine.augment import device_jitter
from trainer.engine.multi_loss import LOSS_NAMES, TwoWayTrainer
from trainer.objectives import losses

HEAD_WIDTH = 256
OBJECTIVES = {"cut": {"lambda_nce": 1.0, "identity_nce": True, "flip_equivariance": False},
              "fastcut": {"lambda_nce": 10.0, "identity_nce": False, "flip_equivariance": True}}


def settings(objective, generator_kind):
    """The PatchNCE settings of a cut or fastcut Objective (trainer.engine.objective): the
    objective's own, with what its --nce-* and --flip-equivariance terms say instead."""
    chosen = dict(OBJECTIVES[objective.name])
    if objective.nce_weight:
        chosen["lambda_nce"] = objective.nce_weight
    for key, flag in (("identity_nce", objective.nce_idt), ("flip_equivariance", objective.flip_equivariance)):
        if flag != "auto":
            chosen[key] = flag == "on"
    layers = tuple(name.strip() for name in objective.nce_layers.split(",") if name.strip())
    return {**chosen, "nce_layers": list(layers or GENERATORS[generator_kind].encoder_layers),
            "nce_patches": objective.nce_patches,
            "nce_temperature": objective.nce_temperature}


def encoder_features(generator, layer_names):
    """A model sharing `generator`'s weights: image -> the activations of `layer_names`."""
    return keras.Model(generator.inputs, [generator.get_layer(name).output for name in layer_names],
                       name=f"{generator.name}_features")


def projection_head(channels, name):
    """CUT's two-layer MLP over a patch's features."""
    head = keras.Sequential([keras.layers.Dense(HEAD_WIDTH, activation="relu"), keras.layers.Dense(HEAD_WIDTH)],
                            name=name)
    head.build((None, None, channels))
    return head


class CUTTrainer(TwoWayTrainer):
    """Two CUT translators, A -> B and B -> A, trained together by `fit`, each loss
    training its own generator (with its heads) or discriminator (trainer.engine.multi_loss)."""

    def __init__(self, gen_G, gen_F, disc_X, disc_Y, objective, generator_kind="unet", seed=None, jitter=True,
                 **kwargs):
        """objective: a cut or fastcut Objective (trainer.engine.objective), whose settings shape the
        trainer (the layers PatchNCE reads) as well as its losses."""
        super().__init__(gen_G, gen_F, disc_X, disc_Y, **kwargs)
        self.objective = objective
        nce = settings(objective, generator_kind)
        layers = nce["nce_layers"]
        unknown = [name for name in layers if name not in {layer.name for layer in gen_G.layers}]
        if unknown:
            raise ValueError(f"--nce-layers: the {generator_kind} generator has no layer {', '.join(unknown)}; "
                             f"its default five are {','.join(GENERATORS[generator_kind].encoder_layers)}")
        self.lambda_nce, self.identity_nce = nce["lambda_nce"], nce["identity_nce"]
        self.patches, self.temperature = nce["nce_patches"], nce["nce_temperature"]
        self.flip_equivariance = nce["flip_equivariance"]
        # A translation also gives its input's encoder features (the same activations a
        # separate encoder pass would give: the down path has no dropout), so each NCE
        # term costs one more encoder pass only, over the outputs.
        self.translators, self.features = {}, {}
        for name, gen in (("gen_G", gen_G), ("gen_F", gen_F)):
            self.features[name] = encoder_features(gen, layers)
            self.translators[name] = keras.Model(gen.inputs, [gen.output, *self.features[name].outputs],
                                                 name=f"{gen.name}_with_features")
        channels = [t.shape[-1] for t in self.features["gen_G"].outputs]
        self.heads = {name: [projection_head(c, f"{name}_nce_head{i}") for i, c in enumerate(channels)]
                      for name in ("gen_G", "gen_F")}
        self.patch_seed = keras.random.SeedGenerator(seed, name="patch_seed")
        self.jitter = device_jitter(jitter, None if seed is None else seed + 2)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in (*LOSS_NAMES, "nce_G", "nce_F")}
        self.built = True

    def compile(self, optimizer, jit_compile=False):
        super().compile(optimizer=optimizer, jit_compile=jit_compile)
        optimizer.build(self.trainable_variables)

    def trained_losses(self):
        def head_variables(name):
            return [v for head in self.heads[name] for v in head.trainable_variables]

        return [("gen_G_loss", self.gen_G.trainable_variables + head_variables("gen_G")),
                ("gen_F_loss", self.gen_F.trainable_variables + head_variables("gen_F")),
                ("disc_X_loss", self.disc_X.trainable_variables), ("disc_Y_loss", self.disc_Y.trainable_variables)]

    def translate_with_nce(self, name, sources, training):
        """Generator `name` on `sources` -> (its outputs, PatchNCE between the two, averaged
        over the layers and the images)."""
        outputs, *source_features = self.translators[name](sources, training=training)
        output_features = self.features[name](outputs, training=training)
        total = 0.0
        for key_map, query_map, head in zip(source_features, output_features, self.heads[name]):
            batch, height, width, channels = ops.shape(key_map)
            count = min(self.patches, key_map.shape[1] * key_map.shape[2])
            places = ops.argsort(keras.random.uniform((height * width,), seed=self.patch_seed))[:count]
            both = ops.concatenate([key_map, query_map], axis=0)  # one head call for keys and queries
            patches = ops.take(ops.reshape(both, (2 * batch, height * width, channels)), places, axis=1)
            patches = ops.cast(head(patches, training=training), "float32")  # (2B, S, HEAD_WIDTH)
            patches = patches / (ops.norm(patches, axis=-1, keepdims=True) + 1e-7)
            key, query = ops.split(patches, 2, axis=0)
            total = total + losses.patch_nce_loss(query, key, self.temperature)
        return outputs, total / len(source_features)

    def compute_losses(self, real_a, real_b, smoothed_b=None, training=True):
        # 1. Each generator translates its domain (CUT: and the other one, for the identity
        #    term), with PatchNCE between its inputs and outputs.
        # 2. Each discriminator judges real images and translations (disc_Y also edge-smoothed B).
        # 3. Generators: GAN + lambda x PatchNCE; discriminators: the GAN loss.
        if self.flip_equivariance and training:  # FastCUT's: the whole batch mirrored, half the time
            mirrored = keras.random.uniform((), seed=self.patch_seed) < 0.5
            real_a, real_b = (ops.where(mirrored, ops.flip(x, axis=2), x) for x in (real_a, real_b))
        if self.identity_nce:  # the mean over the stacked batch is (NCE(x, G(x)) + NCE(y, G(y))) / 2
            out_G, nce_G = self.translate_with_nce("gen_G", ops.concatenate([real_a, real_b], axis=0), training)
            out_F, nce_F = self.translate_with_nce("gen_F", ops.concatenate([real_b, real_a], axis=0), training)
            fake_b, fake_a = ops.split(out_G, 2, axis=0)[0], ops.split(out_F, 2, axis=0)[0]
        else:
            fake_b, nce_G = self.translate_with_nce("gen_G", real_a, training)
            fake_a, nce_F = self.translate_with_nce("gen_F", real_b, training)

        def judged(disc, *batches):
            return ops.split(disc(ops.concatenate(batches, axis=0), training=training), len(batches), axis=0)

        real_x, fake_x = judged(self.disc_X, real_a, fake_a)
        real_y, fake_y, *smoothed_y = judged(self.disc_Y, real_b, fake_b, *([] if smoothed_b is None else [smoothed_b]))
        o = self.objective
        disc_Y = losses.discriminator_loss(real_y, fake_y, o.adversarial_loss)
        if smoothed_y:  # CartoonGAN's edge-promoting term (trainer.objectives.edge_smoothing)
            disc_Y = disc_Y + losses.edge_promoting_loss(smoothed_y[0], o.edge_promoting_weight, o.adversarial_loss)
        return {
            "gen_G_loss": (losses.generator_adversarial_loss(fake_y, o.adversarial_loss) + self.lambda_nce * nce_G
                           + losses.flat_fill_loss(fake_b, o.tv_weight)),
            "gen_F_loss": losses.generator_adversarial_loss(fake_x, o.adversarial_loss) + self.lambda_nce * nce_F,
            "disc_X_loss": losses.discriminator_loss(real_x, fake_x, o.adversarial_loss),
            "disc_Y_loss": disc_Y,
            "nce_G": nce_G, "nce_F": nce_F,
        }
