"""Keras callbacks of the trainers: checkpoints, the loss history (and its plot) and
per-epoch sample grids."""

import shutil
from pathlib import Path

import keras
import numpy as np

from hub.atomic import atomic_path
from hub.imaging import grid, save_png, to_uint8
from trainer.data.manifest import read_jsonl, write_jsonl
from trainer.engine import checkpoint


class Checkpointing(keras.callbacks.Callback):
    """Writes RUN_DIR/checkpoints/latest.npz every `every` steps and at each epoch end, and
    keeps a copy as epoch_NNN.npz at the end of every `keep_every_epochs`-th epoch (0: none)."""

    def __init__(self, path, every, keep_every_epochs=0):
        super().__init__()
        self.path = Path(path)
        self.every = every
        self.keep_every_epochs = keep_every_epochs

    def _save(self):
        checkpoint.save(self.model, self.path)
        # A plain line, flushed: people tailing logs (and the resume test) see it at once.
        print(f"\ncheckpoint: step {self.model.step} -> {self.path}", flush=True)

    def on_train_batch_end(self, batch, logs=None):
        if self.model.step % self.every == 0:
            self._save()

    def on_epoch_end(self, epoch, logs=None):
        if self.model.step % self.every != 0:  # else just saved
            self._save()
        if self.keep_every_epochs and (epoch + 1) % self.keep_every_epochs == 0:
            kept = self.path.with_name(f"epoch_{epoch + 1:03d}.npz")
            with atomic_path(kept) as tmp:
                shutil.copyfile(self.path, tmp)


class LossHistory(keras.callbacks.Callback):
    """RUN_DIR/logs/history.jsonl, rewritten atomically after every epoch: its number (from
    1), the step reached and the epoch's mean of every logged loss. Readable on every backend,
    unlike TensorBoard's files. Not Keras' CSVLogger: it fixes its columns at the first epoch,
    and the CAAE logs more losses once its adversarial phase starts."""

    def __init__(self, path, plot=None):
        super().__init__()
        self.path = Path(path)
        self.plot = plot  # where to draw the curves when training ends, for people without TensorBoard

    @staticmethod
    def read(path):
        """The rows in epoch order; an epoch repeated after a kill and --resume counts once,
        with its last row."""
        rows = {row["epoch"]: row for row in read_jsonl(path)}
        return [rows[epoch] for epoch in sorted(rows)]

    def on_epoch_end(self, epoch, logs=None):
        rows = read_jsonl(self.path) if self.path.exists() else []
        # np.mean: a MultiWorkerMirroredStrategy run logs one-element arrays.
        losses = {name: float(np.mean(value)) for name, value in (logs or {}).items()}
        write_jsonl(self.path, [*rows, {"epoch": epoch + 1, "step": self.model.step, **losses}])

    def on_train_end(self, logs=None):
        if self.plot is not None and self.path.exists():
            plot_losses(self.read(self.path), self.plot)


def plot_losses(rows, path):
    """Each loss of history.jsonl's rows against the step, one panel per loss, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")  # no display needed
    from matplotlib import pyplot

    names = sorted({key for row in rows for key in row} - {"epoch", "step"})
    if not names:
        return
    figure, axes = pyplot.subplots(len(names), 1, figsize=(7, 1.8 * len(names)), sharex=True, squeeze=False)
    for axis, name in zip(axes[:, 0], names):
        points = [(row["step"], row[name]) for row in rows if name in row]
        axis.plot(*zip(*points), marker="o", markersize=3)
        axis.set_ylabel(name, fontsize=8)
        axis.grid(alpha=0.3)
    axes[-1, 0].set_xlabel("step (each point: an epoch's mean)")
    figure.tight_layout()
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", dpi=100)
    pyplot.close(figure)


class SampleGrid(keras.callbacks.Callback):
    """RUN_DIR/samples/epoch_NNN.png: make_grid(model), the same fixed test images run
    through the model after every epoch; also a TensorBoard image in `tensorboard_dir`
    (needs TensorFlow) when given."""

    def __init__(self, out_dir, make_grid, tensorboard_dir=None):
        super().__init__()
        self.out_dir = Path(out_dir)
        self.make_grid = make_grid
        self.tensorboard_dir = tensorboard_dir
        self.writer = None  # made at the first grid: one event file for the run, not one per epoch

    def on_epoch_end(self, epoch, logs=None):
        image = self.make_grid(self.model)
        save_png(image, self.out_dir / f"epoch_{epoch + 1:03d}.png")
        if self.tensorboard_dir is not None:
            import tensorflow as tf

            self.writer = self.writer or tf.summary.create_file_writer(str(self.tensorboard_dir))
            with self.writer.as_default():
                tf.summary.image("samples", image[None], step=int(self.model.step))
            self.writer.flush()


def sample_grid(gen_G, gen_F, samples_a, samples_b):
    """CycleGAN grid; each row: input A, G(A), F(G(A)) | input B, F(B), G(F(B))."""
    # Plain calls, not predict(): a few images, and no batch splitting under --distribute.
    def run(net, images):
        return keras.ops.convert_to_numpy(net(images, training=False))

    fake_b, fake_a = run(gen_G, samples_a), run(gen_F, samples_b)
    cycled_a, cycled_b = run(gen_F, fake_b), run(gen_G, fake_a)
    columns = [samples_a, fake_b, cycled_a, samples_b, fake_a, cycled_b]
    rows = [[to_uint8(c[i]) for c in columns] for i in range(min(len(samples_a), len(samples_b)))]
    return grid(rows)
