"""Keras callbacks of the trainers: checkpoints, the loss history and per-epoch sample grids."""

from pathlib import Path

import keras
import numpy as np

from hub.imaging import grid, save_png, to_uint8
from trainer import checkpoint
from trainer.data.manifest import read_jsonl, write_jsonl


class Checkpointing(keras.callbacks.Callback):
    """Writes RUN_DIR/checkpoints/latest.npz every `every` steps and at each epoch end."""

    def __init__(self, path, every):
        super().__init__()
        self.path = Path(path)
        self.every = every

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


class LossHistory(keras.callbacks.Callback):
    """RUN_DIR/logs/history.jsonl, rewritten atomically after every epoch: its number (from
    1), the step reached and the epoch's mean of every logged loss. Readable on every backend,
    unlike TensorBoard's files. Not Keras' CSVLogger: it fixes its columns at the first epoch,
    and the CAAE logs more losses once its adversarial phase starts."""

    def __init__(self, path):
        super().__init__()
        self.path = Path(path)

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


class SampleGrid(keras.callbacks.Callback):
    """RUN_DIR/samples/epoch_NNN.png: make_grid(model), the same fixed test images run
    through the model after every epoch."""

    def __init__(self, out_dir, make_grid):
        super().__init__()
        self.out_dir = Path(out_dir)
        self.make_grid = make_grid

    def on_epoch_end(self, epoch, logs=None):
        save_png(self.make_grid(self.model), self.out_dir / f"epoch_{epoch + 1:03d}.png")


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
