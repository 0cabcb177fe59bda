"""What every trainer's run does the same way: config from flags or from the run folder,
restore on --resume, and `fit` from the exact step a resumed run stopped at."""

import argparse
import dataclasses
import importlib.util
import logging
import sys
import tempfile
from pathlib import Path

import keras

from hub.errors import HubError
from hub.push import push_folder
from trainer import checkpoint, config as config_lib, distribute
from trainer.callbacks import Checkpointing, LossHistory, SampleGrid

log = logging.getLogger(__name__)


def checkpoint_path(run_dir):
    return Path(run_dir) / "checkpoints" / "latest.npz"


def build_parser(prog, doc, config_cls, default_out):
    """The config's --flags, plus --out and --resume."""
    parser = argparse.ArgumentParser(prog=prog, description=doc,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    config_lib.add_flags(parser, config_cls)
    parser.add_argument("--out", default=default_out, help=f"run folder (default: {default_out})")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run in --out from its last checkpoint")
    parser.add_argument("--push-to-hub", metavar="REPO_ID", default=None,
                        help="at the end, upload RUN_DIR/model to this Hugging Face Hub repo (token: "
                             "HF_TOKEN or `hf auth login`); if that fails the folder stays for "
                             "`python -m hub push`")
    return parser


def prepare_config(args, config_cls):
    """The run's config: from the flags, or from RUN_DIR/config.json with --resume."""
    given = config_lib.given_flags(args, config_cls)
    config_path = Path(args.out) / "config.json"
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
    """--input-pipeline auto -> tfdata with TensorFlow, arrays on the JAX backend."""
    jax = keras.backend.backend() == "jax"
    if config.input_pipeline == "tfdata" and jax and config.distribute and distribute.jax_processes() > 1:
        raise ValueError("--distribute over several JAX processes needs --input-pipeline arrays, which "
                         "feeds each process its share of every batch")
    if config.input_pipeline != "auto":
        return config
    return dataclasses.replace(config, input_pipeline="arrays" if jax else "tfdata")


def jit_compile(config):
    """XLA for the step: on request on TensorFlow, always on JAX (its fit is built for it)."""
    return config.jit_compile or keras.backend.backend() == "jax"


def history_path(run_dir):
    return Path(run_dir) / "logs" / "history.jsonl"


def callbacks(run_dir, checkpoint_every, sample_grid):
    """The epoch's mean losses in logs/history.jsonl (any backend), checkpoints, an image
    grid per epoch (sample_grid(trainer) -> uint8 image; None = no grids, as --samples 0)
    and, where TensorFlow is installed (its writer needs it), TensorBoard logs."""
    # The row is written before the epoch's checkpoint: a kill between the two repeats the
    # epoch on --resume, and its new row replaces the old one, rather than losing it.
    chosen = [LossHistory(history_path(run_dir)),
              Checkpointing(checkpoint_path(run_dir), checkpoint_every)]
    if sample_grid is not None:
        chosen.append(SampleGrid(Path(run_dir) / "samples", sample_grid))
    if importlib.util.find_spec("tensorflow"):
        chosen.append(keras.callbacks.TensorBoard(str(Path(run_dir) / "logs"), update_freq="epoch"))
    return chosen


def restore(trainer, run_dir, resume):
    """Load the run's last checkpoint into `trainer` when resuming."""
    path = checkpoint_path(run_dir)
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


def main(argv, module, doc, config_cls, train):
    """`python -m <module>`: flags -> config -> train(config, run_dir, resume) -> model folder.
    Bad input (flags, data, a run folder in the way) ends in one `error:` line."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    parser = build_parser(f"python -m {module}", doc, config_cls, f"runs/{module.rsplit('.', 1)[-1]}")
    args = parser.parse_args(argv)
    try:
        config = prepare_config(args, config_cls)
        model_dir = train(config, args.out, resume=args.resume)
    except (ValueError, FileNotFoundError, HubError) as e:
        sys.exit(f"error: {e}")
    print(f"model saved to {model_dir}")
    if args.push_to_hub:
        try:
            print(f"pushed to {args.push_to_hub}: {push_folder(model_dir, args.push_to_hub)}")
        except HubError as e:
            sys.exit(f"error: {e}")
