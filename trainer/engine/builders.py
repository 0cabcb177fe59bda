"""What the trainers build alike from a config: generators, PatchGAN discriminators, the
optimizer, and the `hub.CycleGAN` folder that the CycleGAN, CUT, pix2pix and distill runs
all export. The objectives import these from here, not from each other."""

import keras

from hub import nets
from hub.cyclegan import CycleGAN
from hub.directions import domain_name
from trainer.engine import run
from trainer.engine.schedules import learning_rate


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
            **run.data_facts(config),
            "steps": trainer.step, "epochs": config.total_epochs, "batch_size": config.batch_size,
            **objective,
            "seed": config.seed, "seconds_this_session": round(seconds, 1), "data": data,
        },
    }
    exported = run.float32_copies(lambda: {d: generator(config, f"generator_{d}") for d in ("a2b", "b2a")},
                                  {"a2b": trainer.gen_G, "b2a": trainer.gen_F})
    return run.save_model(CycleGAN(exported["a2b"], exported["b2a"], model_config,
                                   sample_image(exported["a2b"], exported["b2a"])), config, run_dir)
