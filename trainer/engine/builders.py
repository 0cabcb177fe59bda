"""What the objectives build alike from a config: the seed and precision, generators,
PatchGAN discriminators, the optimizer, the jitter and XLA options, batches from arrays,
and the model folders they export (the `hub.CycleGAN` folder of the CycleGAN, CUT, pix2pix
and distill runs). The objectives import these from here, not from each other."""

from pathlib import Path

import keras

from hub import nets
from hub.cyclegan import CycleGAN
from hub.directions import domain_name
from hub.model_card import NON_COMMERCIAL
from trainer.data import arrays
from trainer.data.manifest import read_facts
from trainer.engine import distribute
from trainer.engine.augment import JITTER_SCALE
from trainer.engine.schedules import learning_rate


def seed_and_precision(config):
    """Before the networks are built: the run's seed for every Keras draw (weights, dropout,
    jitter), and its compute precision (--mixed-precision: bfloat16 with float32 weights)."""
    keras.utils.set_random_seed(config.seed)
    keras.mixed_precision.set_global_policy("mixed_bfloat16" if config.mixed_precision else "float32")


def jitter_options(config):
    """DeviceJitter's scale (--load-size over --image-size) and mirroring (--flip)."""
    return {"scale": config.load_size / config.image_size if config.load_size else JITTER_SCALE, "flip": config.flip}


def jit_compile(config):
    """XLA for the step: on request on TensorFlow, always on JAX (its fit is built for it)."""
    return config.jit_compile or keras.backend.backend() == "jax"


def array_batches(config, streams):
    """make_dataset for fit_until over images in memory (--input-pipeline arrays): `streams`
    as trainer.data.arrays.Batches takes them, in the run's seeded order, this process's share
    of each batch."""
    def make_dataset(first_step, steps):
        return arrays.for_fit(arrays.Batches(streams, config.batch_size, config.seed, first_step, steps,
                                             share=distribute.process_share()))
    return make_dataset


def optimizer(config):
    """Adam at the config's learning rate (with its schedule) and beta_1."""
    return keras.optimizers.Adam(learning_rate(config), beta_1=config.beta_1)


def generator(config, name):
    """The generator a CycleGAN, CUT, pix2pix or distill config describes."""
    return nets.build_generator(config.generator, config.image_size, config.base_filters, name=name,
                                upsample=config.upsample, full_size_head=config.full_size_head)


def discriminator(config, name, channels=3):
    """A PatchGAN of the config's --disc-filters (or --base-filters) and --disc-layers;
    channels=6 for a conditional one that sees (condition, image) pairs."""
    return nets.patchgan_discriminator(config.disc_filters or config.base_filters, name=name, channels=channels,
                                       n_layers=config.disc_layers)


def export_cyclegan(trainer, config, run_dir, data, sample_image, seconds, objective):
    """RUN_DIR/model: the trained gen_G and gen_F as a `hub.CycleGAN` folder, with
    `sample_image` (make_samples(gen a2b, gen b2a) -> uint8 grid, or None) and, in the
    card's training facts, `objective` (what the run's Objective records, and more)."""
    model_config = {
        "architecture": "cyclegan",
        "generator": config.generator,
        "base_filters": config.base_filters,
        "upsample": config.upsample,
        "full_size_head": config.full_size_head,
        "image_size": config.image_size,
        "size_multiple": nets.size_multiple(config.generator, config.image_size),
        "domain_a": config.domain_a,
        "domain_b": config.domain_b,
        "domain_a_name": domain_name(config.domain_a),
        "domain_b_name": domain_name(config.domain_b),
        "flat_fills": ["a2b"] if config.flat_fills else [],
        "training": {
            **data_facts(config),
            "steps": trainer.step, "epochs": config.total_epochs, "batch_size": config.batch_size,
            **objective,
            "seed": config.seed, "seconds_this_session": round(seconds, 1), "data": data,
        },
    }
    exported = float32_copies(lambda: {d: generator(config, f"generator_{d}") for d in ("a2b", "b2a")},
                              {"a2b": trainer.gen_G, "b2a": trainer.gen_F})
    return save_model(CycleGAN(exported["a2b"], exported["b2a"], model_config,
                               sample_image(exported["a2b"], exported["b2a"])), config, run_dir)


def data_facts(config):
    """The card's facts about the training data: its name, its source where dataset.json
    gives one, and the weights' licence (--weights-license, else dataset.json's, else
    non-commercial, as weights learned from film frames are)."""
    facts = read_facts(config.data)
    return {"dataset": Path(config.data).resolve().name,
            "weights_license": config.weights_license or facts.get("license") or NON_COMMERCIAL,
            **({"data_source": facts["source"]} if facts.get("source") else {})}


def float32_copies(build, trained):
    """{name: a float32 copy of trained[name]}, built by build() -> {name: network, ...}:
    exported networks run in float32 whatever the training precision was."""
    keras.mixed_precision.set_global_policy("float32")
    fresh = build()
    for name, net in trained.items():
        fresh[name].set_weights(net.get_weights())
    return {name: fresh[name] for name in trained}


def save_model(model, config, run_dir):
    """RUN_DIR/model: the trained hub model's folder, with its ONNX exports unless --no-onnx."""
    model.export_onnx = config.onnx
    model_dir = Path(run_dir) / "model"
    model.save_pretrained(model_dir)
    return model_dir
