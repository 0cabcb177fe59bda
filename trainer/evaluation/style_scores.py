"""Unpaired style scores of a CycleGAN or a CAAE (part of `python -m trainer.evaluate`).

Per direction: the share of translated test images that a style classifier trained on
the dataset (trainer.evaluation.style_classifier) assigns to the target domain, next to the share
of the untouched inputs ("identity") and of the real target images (what a perfect
translator would score), and FID / KID of the translations against the real target
images (trainer.evaluation.style_metrics), next to identity's. For a CAAE also: per training
style, the share of restyled images each tag's classifier assigns to that style's value;
and the slider sweep: the target's classifier probability as the weight of the target
value goes 0 -> 1 on the domain's tag.

Test images only (clip frames left out), so the classifier never saw them.
"""

from pathlib import Path

import numpy as np

from hub.caae import CAAE
from hub import directions
from hub.model_card import slider_lines
from trainer.data import manifest
from trainer.evaluation.style_classifier import StyleClassifier
from trainer.evaluation.style_metrics import FeaturesUnavailable, InceptionFeatures, fid, kid
from trainer.evaluation.test_images import TestImages

SLIDER_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
CLASSIFIER_EPOCHS = 20


def style_tag(domain_a, domain_b):
    """The tag that tells the two domains apart: medium for medium=3d / medium=2d."""
    a, b = dict(manifest.parse_filter(domain_a)), dict(manifest.parse_filter(domain_b))
    for tag in a:
        if tag in b and a[tag] != b[tag]:
            return tag, a[tag], b[tag]
    raise ValueError(f"the domains {domain_a!r} and {domain_b!r} differ in no tag they share: name "
                     "the classifier's tag with --classifier-tag")


class TooFewImages(ValueError):
    """A domain has too few test images for a classifier and a distance."""


def test_images(data, domain, images, split="test"):
    """(rows, uint8 images) of the domain's test images that decode (clip frames left out),
    through `images` (a TestImages)."""
    chosen = manifest.rows(data, domain, split)
    if len(chosen) < 2:
        raise TooFewImages(f"{data} has {len(chosen)} {split} images of {domain!r}; the style scores need two or more")
    index, decoded = images.decode([str(Path(data) / r["path"]) for r in chosen])
    return [chosen[i] for i in index], decoded


def _distances(features, translated, source_features, target_features):
    """FID and KID of the translations and of the inputs (identity) against the targets."""
    result = {}
    for name, feats in (("model", features(translated)), ("identity", source_features)):
        mean, std = kid(feats, target_features)
        result[name] = {"fid": fid(feats, target_features), "kid": mean, "kid_std": std}
    return result


def target_styles(model, domain):
    """The CAAE's training styles inside `domain` (a tag filter)."""
    filters = manifest.parse_filter(domain)
    styles = [s for s in model.styles if all(str(s.get(k)) == v for k, v in filters)]
    if not styles:
        raise ValueError(f"the CAAE was trained on no style of {domain!r}")
    return styles


def _translate(model, images, direction, target_domain):
    if isinstance(model, CAAE):  # each input under one of the target domain's styles, in turn
        styles = target_styles(model, target_domain)
        return model.decode(model.encode(images), [styles[i % len(styles)] for i in range(len(images))])
    return model.translate_array(images, direction)


def per_label(model, images, classifiers):
    """{style name: {tag: share assigned to the style's value}} over all `images`, plus 'mean'."""
    z = model.encode(images)
    table = {}
    for style in model.styles:
        restyled = model.decode(z, style)
        table[" / ".join(str(style[t]) for t in model.label_space.tags)] = {
            tag: c.share(restyled, str(style[tag])) for tag, c in classifiers.items()}
    table["mean"] = {tag: float(np.mean([row[tag] for row in table.values()])) for tag in classifiers}
    return table


def slider_sweep(model, images, rows, classifier, source_value, target_value, target_domain):
    """Mean classifier probability of `target_value` as sliders move from each image's own
    label (weight 0) to the target (weight 1): only the classifier's tag ("tag only",
    every other group keeps the image's own value), or every group towards one of the
    target domain's training styles ("whole style")."""
    tag = classifier.tag
    known = [i for i, row in enumerate(rows) if model.label_space.knows(row)]  # labels it can render
    if not known:
        raise ValueError("none of the test images has labels this CAAE was trained on")
    images, rows = images[known], [rows[i] for i in known]
    z = model.encode(images)
    styles = target_styles(model, target_domain)
    sweeps = {}
    for mode in ("tag only", "whole style"):
        probabilities, outputs = [], []
        for w in SLIDER_WEIGHTS:
            labels = []
            for i, row in enumerate(rows):
                own = {**{t: row[t] for t in model.label_space.tags}, tag: source_value}
                target = dict(styles[i % len(styles)]) if mode == "whole style" else {**own, tag: target_value}
                weights = {name: 0.0 for name in model.label_names}
                for t in model.label_space.tags:
                    weights[f"{t}={own[t]}"] += 1 - w
                    weights[f"{t}={target[t]}"] += w
                labels.append(weights)
            outputs.append(model.decode(z, labels))
            p = classifier.probabilities(outputs[-1])
            probabilities.append(float(p[:, classifier.classes.index(target_value)].mean()))
        # The picture must move smoothly, not jump at the end: the mean change of a pixel
        # (grey levels, 0-255) from each weight to the next.
        changes = [float(np.mean(np.abs(b.astype(np.float32) - a))) for a, b in zip(outputs, outputs[1:])]
        sweeps[mode] = {"probabilities": probabilities, "move": probabilities[-1] - probabilities[0],
                        "monotonic": all(b >= a for a, b in zip(probabilities, probabilities[1:])),
                        "pixel_change_per_step": changes}
    return {"weights": list(SLIDER_WEIGHTS), "target": {"tag": tag, "value": target_value}, **sweeps}


def judge(data, domain_a, domain_b, tag=None, classifier_epochs=CLASSIFIER_EPOCHS):
    """(the dataset's StyleClassifier of `tag`, domain A's value, domain B's value); tag
    None: the tag the domains differ in."""
    if tag:
        values = (dict(manifest.parse_filter(domain_a)).get(tag), dict(manifest.parse_filter(domain_b)).get(tag))
        if None in values:
            raise ValueError(f"--classifier-tag {tag} must appear in both domains' filters")
        value_a, value_b = values
    else:
        tag, value_a, value_b = style_tag(domain_a, domain_b)
    return StyleClassifier.for_dataset(data, tag, epochs=classifier_epochs), value_a, value_b


def style_scores(model, data, domain_a, domain_b, split="test", tag=None, features=None,
                 classifier_epochs=CLASSIFIER_EPOCHS, images=None):
    """The scores above as a JSON-able dict. features: an (N, H, W, 3) uint8 -> (N, D)
    callable; None: InceptionV3 (FID/KID skipped with a note if its weights cannot be had);
    False: no FID/KID. images: a TestImages to share decoded files with the paired metrics."""
    classifier, value_a, value_b = judge(data, domain_a, domain_b, tag, classifier_epochs)
    tag = classifier.tag
    size = model.config["image_size"]
    images = images if images is not None and images.size == size else TestImages(size)
    rows_a, images_a = test_images(data, domain_a, images, split)
    _, images_b = test_images(data, domain_b, images, split)
    result = {"tag": tag, "classifier_accuracy": classifier.accuracy, "classifier_classes": classifier.classes,
              "images": {directions.domain_name(domain_a): len(images_a),
                         directions.domain_name(domain_b): len(images_b)},
              "directions": {}}
    if features is None:
        try:
            features = InceptionFeatures()
        except FeaturesUnavailable as e:
            result["fid_kid_unavailable"] = str(e)
            features = False
    # each domain's real images through InceptionV3 once: a source in one direction, the target in the other
    real_features = (features(images_a), features(images_b)) if features else (None, None)
    names = directions.of_filters(domain_a, domain_b)
    for direction, source, target, target_domain, target_value, (source_features, target_features) in (
            (names["a2b"], images_a, images_b, domain_b, value_b, real_features),
            (names["b2a"], images_b, images_a, domain_a, value_a, real_features[::-1])):
        translated = _translate(model, source, direction.key, target_domain)
        entry = result["directions"][direction.name] = {"target": direction.target, "classifier": {
            "model": classifier.share(translated, target_value), "identity": classifier.share(source, target_value),
            "real target": classifier.share(target, target_value)}}
        if features:
            entry.update(_distances(features, translated, source_features, target_features))
    if isinstance(model, CAAE):
        classifiers = {t: classifier if t == tag else StyleClassifier.for_dataset(data, t, epochs=classifier_epochs)
                       for t in model.label_space.tags}
        both = np.concatenate([images_a, images_b])
        result["per_label"] = per_label(model, both, classifiers)
        result["label_classifier_accuracy"] = {t: c.accuracy for t, c in classifiers.items()}
        result["slider"] = slider_sweep(model, images_a, rows_a, classifiers.get(tag, classifier), value_a, value_b,
                                        domain_b)
    return result


def format_table(scores):
    lines = [f"style classifier ({scores['tag']}: {', '.join(scores['classifier_classes'])}; held-out balanced "
             f"accuracy {scores['classifier_accuracy']:.3f}): share of images judged the target {scores['tag']}",
             f"{'direction':<16}{'model':>8}{'identity':>10}{'real':>8}"
             + (f"{'FID model':>11}{'identity':>10}{'KID model':>11}{'identity':>10}"
                if any("model" in d for d in scores["directions"].values()) else "")]
    for name, d in scores["directions"].items():
        c = d["classifier"]
        line = f"{name:<16}{c['model']:>8.3f}{c['identity']:>10.3f}{c['real target']:>8.3f}"
        if "model" in d:
            line += (f"{d['model']['fid']:>11.2f}{d['identity']['fid']:>10.2f}"
                     f"{d['model']['kid']:>11.4f}{d['identity']['kid']:>10.4f}")
        lines.append(line)
    if "fid_kid_unavailable" in scores:
        lines.append(f"FID/KID not computed: {scores['fid_kid_unavailable']}")
    if "per_label" in scores:
        tags = list(scores["label_classifier_accuracy"])
        lines.append("restyled under each training style: share judged that style's value, by tag "
                     "(classifier accuracy " + ", ".join(f"{t} {a:.3f}" for t, a in
                                                         scores["label_classifier_accuracy"].items()) + ")")
        lines.append(f"{'style':<34}" + "".join(f"{t:>9}" for t in tags))
        for style, shares in scores["per_label"].items():
            lines.append(f"{style:<34}" + "".join(f"{shares[t]:>9.3f}" for t in tags))
        lines += [f"slider, {line}" for line in slider_lines(scores)]
    return "\n".join(lines)
