"""Every trainer's run, in one frame: `train(recipe, config, run_dir)` owns the sequence
(the input pipeline, data, the epoch settled, networks, restore on --resume, callbacks,
`fit` from the exact step, export) and `main` the command line around it (flags or the
run folder's config, the push). Each objective's Recipe supplies only what differs: its
data, its trainer, its batches, its sample grid and its model folder."""

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
from trainer.engine import checkpoint, cli, distribute
from trainer.engine.callbacks import Checkpointing, LossHistory, SampleGrid

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


def output_dir(run_dir):
    """`run_dir`, or a scratch folder on a multi-worker --distribute worker other than the chief."""
    return Path(run_dir) if distribute.is_chief() else Path(tempfile.mkdtemp(prefix="worker-"))


def resolve_input_pipeline(config):
    """--input-pipeline auto -> tfdata with TensorFlow, arrays on the JAX backend or for the
    options whose images live in memory (config.arrays_only)."""
    jax = keras.backend.backend() == "jax"
    if config.input_pipeline == "tfdata" and jax and config.distribute and distribute.jax_processes() > 1:
        raise ValueError("--distribute over several JAX processes needs --input-pipeline arrays, which "
                         "feeds each process its share of every batch")
    if config.input_pipeline != "auto":
        return config
    return dataclasses.replace(config, input_pipeline="arrays" if jax or config.arrays_only() else "tfdata")


def settle(config, run_dir, examples):
    """The config a run keeps: --steps-per-epoch 0 becomes one pass over its `examples`
    (images or pairs), fixed for the run; written to RUN_DIR/config.json."""
    if config.steps_per_epoch == 0:
        config = dataclasses.replace(config, steps_per_epoch=max(1, examples // config.batch_size))
    config_lib.save(config, Path(run_dir) / "config.json")
    return config


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

    def prepare(self, config):
        """-> (the config, with what the data decides (defaults resolved), what the later steps
        need of the data: any object, how many examples an epoch passes over once: images or
        pairs). The frame then settles the epoch (settle)."""
        raise NotImplementedError

    def build(self, config, data):
        """-> the compiled trainer (a trainer.engine.multi_loss.MultiLossTrainer)."""
        raise NotImplementedError

    def sample_grid(self, config, data):
        """-> grid(trainer) -> uint8 image for the epoch's samples, or None for none. Called
        only with --samples above 0."""
        return None

    def batches(self, config, data):
        """-> make_dataset(first_step, steps) for fit_until (builders.array_batches, or a tf.data one)."""
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
    config, data, examples = recipe.prepare(resolve_input_pipeline(config))
    config = settle(config, run_dir, examples)
    log.info("%d steps per epoch, input: %s", config.steps_per_epoch, config.input_pipeline)
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
