"""A small CNN that tells a dataset's styles apart by one tag (medium, studio or movie),
the judge of the style-classifier score in trainer.evaluate.

It trains on the dataset's train split (clip frames left out) and reports its balanced
accuracy (the mean of the per-class recalls) on the test split, so a score can be
weighed against how well the judge itself sees the style. A trained classifier is kept
in DATA/style_classifiers/, keyed by the manifest's content and the settings, so every
model evaluated on one dataset meets the same judge.
"""

import hashlib
import json
import logging
from pathlib import Path

import keras
import numpy as np

from hub.atomic import atomic_path, write_json
from trainer.data.arrays import decode_labelled
from trainer.data import manifest

CACHE = "style_classifiers"
log = logging.getLogger(__name__)


def classifier_network(size, classes, seed):
    keras.utils.set_random_seed(seed)
    x = keras.Input((size, size, 3), dtype="uint8")
    h = keras.layers.Rescaling(1 / 127.5, offset=-1.0)(x)
    h = keras.layers.RandomFlip("horizontal", seed=seed)(h)
    for filters in (16, 32, 64, 64):  # size -> size / 16
        h = keras.layers.Conv2D(filters, 3, strides=2, padding="same", activation="relu")(h)
    h = keras.layers.GlobalAveragePooling2D()(h)
    return keras.Model(x, keras.layers.Dense(classes)(h), name="style_classifier")


def _labelled_images(rows, data, tag, classes, size):
    paths = [str(Path(data) / r["path"]) for r in rows]
    index = [classes.index(str(r[tag])) for r in rows]
    return decode_labelled(paths, np.asarray(index)[:, None], size)


def balanced_accuracy(predicted, truth, classes):
    recalls = [np.mean(predicted[truth == c] == c) for c in range(classes) if np.any(truth == c)]
    return float(np.mean(recalls))


class StyleClassifier:
    """network: uint8 (N, S, S, 3) -> logits over `classes` (the values of `tag`)."""

    def __init__(self, network, tag, classes, accuracy):
        self.network, self.tag, self.classes, self.accuracy = network, tag, list(classes), accuracy
        self.size = network.input_shape[1]

    @classmethod
    def train(cls, data, tag, size=64, epochs=10, seed=0, verbose=0):
        rows = [r for r in manifest.rows(data) if tag in r]
        train = [r for r in rows if str(r["split"]) == "train"]
        test = [r for r in rows if str(r["split"]) == "test"]
        classes = sorted({str(r[tag]) for r in train})
        if len(classes) < 2:
            raise ValueError(f"a style classifier needs two or more values of {tag!r} in the train split "
                             f"of {data}, found {classes}")
        test = [r for r in test if str(r[tag]) in classes]
        if not test:
            raise ValueError(f"{data} has no test images of {tag} {', '.join(classes)} to check the "
                             "classifier on")
        images, labels = _labelled_images(train, data, tag, classes, size)
        labels = labels[:, 0].astype(np.int64)
        counts = np.bincount(labels, minlength=len(classes))
        weights = {c: len(labels) / (len(classes) * max(1, n)) for c, n in enumerate(counts)}
        network = classifier_network(size, len(classes), seed)
        network.compile(optimizer=keras.optimizers.Adam(1e-3),
                        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        network.fit(images, labels, batch_size=32, epochs=epochs, shuffle=True, class_weight=weights,
                    verbose=verbose)
        held_out, truth = _labelled_images(test, data, tag, classes, size)
        classifier = cls(network, tag, classes, accuracy=None)
        classifier.accuracy = balanced_accuracy(classifier.predict(held_out), truth[:, 0].astype(np.int64),
                                                len(classes))
        return classifier

    @classmethod
    def for_dataset(cls, data, tag, size=64, epochs=10, seed=0):
        """The cached classifier of this dataset, tag and settings; trained and cached if new."""
        listing = Path(data) / manifest.MANIFEST
        rows = (listing.read_bytes() if listing.is_file()  # else a folder of pictures, without a manifest
                else json.dumps(manifest.read_manifest(data), sort_keys=True).encode())
        digest = hashlib.sha256(rows + f"{tag}/{size}/{epochs}/{seed}".encode()).hexdigest()[:16]
        path = Path(data) / CACHE / f"{tag}-{size}px-{digest}.keras"
        facts = path.with_suffix(".json")
        if path.is_file() and facts.is_file():
            saved = json.loads(facts.read_text())
            return cls(keras.saving.load_model(path), tag, saved["classes"], saved["accuracy"])
        classifier = cls.train(data, tag, size, epochs, seed)
        try:
            with atomic_path(path) as tmp:
                classifier.network.save(tmp)
            write_json(facts, {"tag": tag, "classes": classifier.classes, "accuracy": classifier.accuracy})
        except OSError as e:  # a read-only dataset: the scores still come, the next run trains again
            log.warning("could not keep the style classifier in %s (%s)", path.parent, e)
        return classifier

    def probabilities(self, images, batch_size=64):
        """uint8 (N, H, W, 3) -> (N, classes) softmax, images resized to the classifier's size."""
        images = np.asarray(images)
        if images.shape[1:3] != (self.size, self.size):
            images = keras.ops.convert_to_numpy(keras.ops.cast(keras.ops.clip(keras.ops.round(
                keras.ops.image.resize(keras.ops.cast(images, "float32"), (self.size, self.size),
                                       antialias=True)), 0, 255), "uint8"))
        logits = self.network.predict(images, batch_size=batch_size, verbose=0)
        return keras.ops.convert_to_numpy(keras.ops.softmax(logits))

    def predict(self, images):
        """Class index of each image."""
        return np.argmax(self.probabilities(images), axis=1)

    def share(self, images, value):
        """The share of `images` the classifier assigns to `value` of its tag."""
        if value not in self.classes:
            raise ValueError(f"the {self.tag} classifier knows {', '.join(self.classes)}, not {value!r}")
        return float(np.mean(self.predict(images) == self.classes.index(value)))
