"""Keras callbacks of the trainers: checkpoints and per-epoch sample grids."""

from pathlib import Path

import keras

from hub.imaging import grid, save_png, to_uint8
from trainer import checkpoint


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
