"""Every trainer's run, in one frame: `train(recipe, config, run_dir)` owns the sequence
(data, networks, restore on --resume, callbacks, `fit` from the exact step, export) and
`main` the command line around it (flags or the run folder's config, the push). Each
objective's Recipe supplies only what differs: its data, its trainer, its batches, its
sample grid and its model folder."""

import dataclasses
import importlib.util
import logging
import sys
import tempfile
import time
import warnings
from pathlib import Path

import keras

from hub.errors import HubError
from hub.push import commit_url, push_folder
from trainer import config as config_lib
from trainer.data import arrays
from trainer.data.domains import check_batch, domain_paths, domain_rows, usable_images
from trainer.engine import checkpoint, cli, distribute
from trainer.engine.augment import JITTER_SCALE
from trainer.engine.callbacks import Checkpointing, LossHistory, SampleGrid
from hub.model_card import NON_COMMERCIAL
from trainer.data.manifest import parse_filter, read_facts, resolve_domains

log = logging.getLogger(__name__)


def checkpoint_path(run_dir, epoch=None):
    """RUN_DIR/checkpoints/latest.npz, or the one kept at the end of `epoch` (--save-every-epochs)."""
    return Path(run_dir) / "checkpoints" / ("latest.npz" if epoch is None else f"epoch_{epoch:03d}.npz")


def prepare_config(args, config_cls):
    """The run's config: from the flags, or from RUN_DIR/config.json with --resume."""
    given = config_lib.given_flags(args, config_cls)
    config_path = Path(args.out) / "config.json"
    if args.from_epoch is not None:
        if not args.resume:
            raise ValueError("--from-epoch continues a run: give --resume with it")
        if not checkpoint_path(args.out, args.from_epoch).is_file():
            kept = sorted(p.name for p in checkpoint_path(args.out).parent.glob("epoch_*.npz"))
            raise ValueError(f"--from-epoch {args.from_epoch}: no {checkpoint_path(args.out, args.from_epoch)}; "
                             f"kept: {', '.join(kept) or 'none (train with --save-every-epochs N to keep some)'}")
    if args.resume:
        if not config_path.is_file():
            raise ValueError(f"--resume: no run to resume in {args.out} (no config.json)")
        return config_lib.resumed(config_cls, config_path, given)
    if checkpoint_path(args.out).exists():
        raise ValueError(f"{args.out} already holds a run: pass --resume to continue it, "
                         "or choose another --out")
    config = config_cls(**given)
    config.validate()
    return config


def jitter_options(config):
    """DeviceJitter's scale (--load-size over --image-size) and mirroring (--flip)."""
    return {"scale": config.load_size / config.image_size if config.load_size else JITTER_SCALE, "flip": config.flip}


def output_dir(run_dir):
    """`run_dir`, or a scratch folder on a multi-worker --distribute worker other than the chief."""
    return Path(run_dir) if distribute.is_chief() else Path(tempfile.mkdtemp(prefix="worker-"))


def resolve_input_pipeline(config):
    """--input-pipeline auto -> tfdata with TensorFlow, arrays on the JAX backend."""
    jax = keras.backend.backend() == "jax"
    if config.input_pipeline == "tfdata" and jax and config.distribute and distribute.jax_processes() > 1:
        raise ValueError("--distribute over several JAX processes needs --input-pipeline arrays, which "
                         "feeds each process its share of every batch")
    if config.input_pipeline != "auto":
        return config
    return dataclasses.replace(config, input_pipeline="arrays" if jax else "tfdata")


def seed_and_precision(config):
    """Before the networks are built: the run's seed for every Keras draw (weights, dropout,
    jitter), and its compute precision (--mixed-precision: bfloat16 with float32 weights)."""
    keras.utils.set_random_seed(config.seed)
    keras.mixed_precision.set_global_policy("mixed_bfloat16" if config.mixed_precision else "float32")


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


def settle(config, run_dir, examples):
    """The config a run keeps: --steps-per-epoch 0 becomes one pass over its `examples`
    (images or pairs), fixed for the run; written to RUN_DIR/config.json."""
    if config.steps_per_epoch == 0:
        config = dataclasses.replace(config, steps_per_epoch=max(1, examples // config.batch_size))
    config_lib.save(config, Path(run_dir) / "config.json")
    return config


def unpaired_domains(config, run_dir):
    """(the config settled with an epoch of one pass over the larger domain, the training rows of
    --domain-a, those of --domain-b); a domain with fewer images than a batch is refused. The
    default domains, in a folder of junyanz's layout, are its A and B (manifest.resolve_domains)."""
    domain_a, domain_b = resolve_domains(config.data, config.domain_a, config.domain_b)
    config = dataclasses.replace(config, domain_a=domain_a, domain_b=domain_b)
    rows = []
    for side, tags in (("A", config.domain_a), ("B", config.domain_b)):
        rows.append(domain_rows(config.data, parse_filter(tags)))
        check_batch(rows[-1], config.batch_size, f"domain {side} ({tags})")
    return settle(config, run_dir, max(len(r) for r in rows)), *rows


def sample_paths(config, tags, fallback):
    """The epoch grids' images of the domain `tags`: its first --samples test images, else the
    first of `fallback` (its training paths). Only those few test images are decoded to check them."""
    try:
        paths = usable_images(domain_paths(config.data, parse_filter(tags), split="test", check=False)[:config.samples])
    except ValueError:  # no test split
        paths = []
    return paths or fallback[:config.samples]


def jit_compile(config):
    """XLA for the step: on request on TensorFlow, always on JAX (its fit is built for it)."""
    return config.jit_compile or keras.backend.backend() == "jax"


def history_path(run_dir):
    return Path(run_dir) / "logs" / "history.jsonl"


def callbacks(run_dir, config, sample_grid):
    """The epoch's mean losses in logs/history.jsonl (any backend) and their plot at the end,
    checkpoints, an image grid per epoch (sample_grid(trainer) -> uint8 image; None = no
    grids, as --samples 0) and, where TensorFlow is installed (its writer needs it),
    TensorBoard logs: the losses every --log-every steps, the grid every epoch."""
    # The row is written before the epoch's checkpoint: a kill between the two repeats the
    # epoch on --resume, and its new row replaces the old one, rather than losing it.
    logs = Path(run_dir) / "logs"
    tensorboard = importlib.util.find_spec("tensorflow") is not None
    chosen = [LossHistory(history_path(run_dir), plot=logs / "losses.png"),
              Checkpointing(checkpoint_path(run_dir), config.checkpoint_every, config.save_every_epochs)]
    if sample_grid is not None:
        chosen.append(SampleGrid(Path(run_dir) / "samples", sample_grid, logs / "images" if tensorboard else None))
    if tensorboard:
        chosen.append(keras.callbacks.TensorBoard(str(logs), update_freq=config.log_every))
    return chosen


def restore(trainer, run_dir, resume, from_epoch=None):
    """Load the run's last checkpoint (or the one kept at the end of `from_epoch`) into
    `trainer` when resuming."""
    path = checkpoint_path(run_dir, from_epoch)
    if resume and path.exists():
        checkpoint.restore(trainer, path)
        log.info("resumed from %s at step %d", path, trainer.step)
    elif resume:
        log.info("no checkpoint in %s yet: starting at step 0", path.parent)


def array_batches(config, streams):
    """make_dataset for fit_until over images in memory (--input-pipeline arrays): `streams`
    as trainer.data.arrays.Batches takes them, in the run's seeded order, this process's share
    of each batch."""
    def make_dataset(first_step, steps):
        return arrays.for_fit(arrays.Batches(streams, config.batch_size, config.seed, first_step, steps,
                                             share=distribute.process_share()))
    return make_dataset


def fit_until(trainer, make_dataset, steps_per_epoch, until_step, callbacks, verbose="auto"):
    """`fit` from trainer.step to `until_step` (an epoch boundary).

    make_dataset(first_step, steps) gives the batches of exactly those steps, so a run
    resumed mid-epoch first finishes that epoch, then goes on in whole epochs.
    """
    step = trainer.step
    while step < until_step:
        epoch, done_in_epoch = divmod(step, steps_per_epoch)
        last_epoch = epoch + 1 if done_in_epoch else until_step // steps_per_epoch
        trainer.fit(make_dataset(step, until_step - step), initial_epoch=epoch, epochs=last_epoch,
                    steps_per_epoch=steps_per_epoch - done_in_epoch, callbacks=callbacks,
                    verbose=verbose, shuffle=False)
        step = trainer.step


class Recipe:
    """What an objective gives the frame; `train` calls these in this order."""

    def prepare(self, config, run_dir):
        """-> (the config settled for the run (trainer.engine.run.settle), what the later steps need of
        the data: any object)."""
        raise NotImplementedError

    def build(self, config, data):
        """-> the compiled trainer (a trainer.engine.multi_loss.MultiLossTrainer)."""
        raise NotImplementedError

    def sample_grid(self, config, data):
        """-> grid(trainer) -> uint8 image for the epoch's samples, or None for none. Called
        only with --samples above 0."""
        return None

    def batches(self, config, data):
        """-> make_dataset(first_step, steps) for fit_until (array_batches, or a tf.data one)."""
        raise NotImplementedError

    def phases(self, trainer, config):
        """Yields the step each phase trains to, setting the trainer up for it first: one
        phase, to the last step, unless the objective has more (the CAAE's pretraining)."""
        yield config.total_epochs * config.steps_per_epoch

    def export(self, trainer, config, run_dir, data, seconds):
        """-> the model folder written in RUN_DIR/model."""
        raise NotImplementedError


def train(recipe, config, run_dir, resume=False, verbose="auto", from_epoch=None):
    """Train (or continue) the run in `run_dir` with `recipe`; returns the exported model
    folder. Under multi-worker --distribute, workers other than the chief write to a scratch
    folder."""
    run_dir = output_dir(run_dir)
    config, data = recipe.prepare(config, run_dir)
    trainer = recipe.build(config, data)
    restore(trainer, run_dir, resume, from_epoch)
    chosen = callbacks(run_dir, config, recipe.sample_grid(config, data) if config.samples else None)
    make_dataset = recipe.batches(config, data)
    start = time.perf_counter()
    for until_step in recipe.phases(trainer, config):
        fit_until(trainer, make_dataset, config.steps_per_epoch, until_step, chosen, verbose)
    return recipe.export(trainer, config, run_dir, data, time.perf_counter() - start)


def main(argv, module, doc, config_cls, train):
    """`python -m <module>`: flags -> config -> train(config, run_dir, resume) -> model folder.
    Bad input (flags, data, a run folder in the way) ends in one `error:` line."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("tf2onnx").setLevel(logging.WARNING)  # a dozen INFO lines per exported network
    # keras.src.export.tf2onnx_lib probes np.object to patch tf2onnx for numpy 2: not the user's concern
    warnings.filterwarnings("ignore", message="In the future `np.object` will be defined", category=FutureWarning)
    parser = cli.build_parser(module, doc, config_cls)
    args = parser.parse_args(argv)
    try:
        config = prepare_config(args, config_cls)
        if getattr(config, "preset", "seed") != "seed":
            log.info("preset %s: %s (flags given beside it win)", config.preset,
                     config_lib.describe_preset(config.preset))
        model_dir = train(config, args.out, resume=args.resume, from_epoch=args.from_epoch)
    except (ValueError, FileNotFoundError, HubError) as e:
        sys.exit(f"error: {e}")
    print(f"model saved to {model_dir}")
    if args.push_to_hub:
        try:
            print(f"pushed to {args.push_to_hub}: {commit_url(push_folder(model_dir, args.push_to_hub))}")
        except HubError as e:
            sys.exit(f"error: {e}")
