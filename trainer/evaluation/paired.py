"""Paired metrics of a CycleGAN or a CAAE, and the look (part of `python -m trainer.evaluate`).

Pairs are the test images of domain A and domain B that share a "scene" tag (toyworld's;
clip frames are left out). For each direction: mean L1 (on [0, 1] pixels), PSNR and SSIM
of translation vs ground truth, next to the identity baseline (the untouched input vs
ground truth): a translator that learned nothing scores the baseline.

A CAAE translates by re-rendering the input under the label of the ground-truth image
(its medium, studio, movie tags). Its reconstructions (each image under its own label)
are scored against the input, since a blurry or identity-losing autoencoder shows there
first, and against the ground truth ("own label"): the gap to "model" is what the label
change itself achieved.

The look (trainer.evaluation.outlines), where the target images have outline masks
(toyworld's 2d renders): outline precision, recall and F1, edge sharpness and flat
texture of the model's output, the input (identity) and the target render itself (the
ceiling).

Judged: with the style classifier (trainer.evaluation.style_scores.judge), the share of
the translated pairs it assigns to the target's value, beside the inputs' and the targets'
share; for a CAAE also per label value it restyled to.
"""

from hub.caae import CAAE
from hub import directions
from trainer.data.pairs import PairsUnavailable, paired_rows
from trainer.evaluation import outlines, style_scores
from trainer.evaluation.image_metrics import image_metrics
from trainer.evaluation.test_images import TestImages


def evaluate(model, data, domain_a, domain_b, split="test", size=None, images=None, judge=None):
    """Metrics of both directions and of the identity baseline, as a JSON-able dict.
    images: a TestImages at the evaluation size, to share decoded files with the style scores.
    judge: (style classifier, domain A's value, domain B's value), or None for no "judged"."""
    is_caae = isinstance(model, CAAE)
    if is_caae and size not in (None, model.config["image_size"]):
        raise ValueError(f"a CAAE runs at its training size only ({model.config['image_size']} px)")
    size = size or model.config["image_size"]
    rows_a, rows_b = paired_rows(data, domain_a, domain_b, split)
    skipped = 0
    if is_caae:  # a CAAE can only render labels it was trained on
        known = [i for i, (a, b) in enumerate(zip(rows_a, rows_b))
                 if model.label_space.knows(a) and model.label_space.knows(b)]
        skipped = len(rows_a) - len(known)
        if not known:
            raise ValueError(f"none of the {len(rows_a)} pairs has labels this CAAE was trained on")
        rows_a, rows_b = [rows_a[i] for i in known], [rows_b[i] for i in known]
    images = images if images is not None and images.size == size else TestImages(size)
    kept_a, real_a = images.decode([r["path"] for r in rows_a])
    kept_b, real_b = images.decode([r["path"] for r in rows_b])
    if kept_a != kept_b:  # a pair is scored only where both of its images decode
        both = sorted(set(kept_a) & set(kept_b))
        if not both:
            raise ValueError(f"none of the {len(rows_a)} pairs in {data} has both of its images readable")
        real_a, real_b = real_a[[kept_a.index(i) for i in both]], real_b[[kept_b.index(i) for i in both]]
        rows_a, rows_b = [rows_a[i] for i in both], [rows_b[i] for i in both]
    names = directions.of_filters(domain_a, domain_b)
    results = {"pairs": len(rows_a), "image_size": size, "split": split, "directions": {}}
    results["flat_fills"] = list(model.flat_fills)
    if skipped:
        results["pairs_with_unknown_labels_skipped"] = skipped
    if is_caae:
        results["reconstruction"] = {}
    classifier, value_a, value_b = judge or (None, None, None)
    for direction, source, source_rows, target, target_rows, target_value in (
            (names["a2b"], real_a, rows_a, real_b, rows_b, value_b),
            (names["b2a"], real_b, rows_b, real_a, rows_a, value_a)):
        row = results["directions"][direction.name] = {}
        if is_caae:
            z = model.encode(source)
            translated = model.decode(z, target_rows)
            # The same z under its own label: what the label change adds is model - own label.
            kept = model.decode(z, source_rows)
            row["own label"] = image_metrics(kept, target)
            results["reconstruction"][direction.source] = image_metrics(kept, source)
        else:
            translated = model.translate_array(source, direction.key)
        row["model"] = image_metrics(translated, target)
        row["identity"] = image_metrics(source, target)
        if classifier is not None:
            results.setdefault("judged", {"tag": classifier.tag, "directions": {}})["directions"][direction.name] = {
                "target value": target_value, **{name: classifier.share(images, target_value) for name, images in (
                    ("model", translated), ("identity", source), ("target", target))}}
        masks = (outlines.load_masks([r["outline"] for r in target_rows], size)
                 if all("outline" in r for r in target_rows) else None)
        if masks is not None:
            results.setdefault("look", {})[direction.name] = {
                name: outlines.look_scores(images, masks, target)
                for name, images in (("model", translated), ("identity", source), ("target", target))}
        if is_caae:
            per_label = results.setdefault("per_label", {})
            for key, value in per_label_scores(model, translated, kept, source, target, source_rows, target_rows,
                                               masks, classifier and (classifier, target_value)).items():
                per_label.setdefault(key, {}).update(value)
    return results


def per_label_scores(model, translated, kept, source, target, source_rows, target_rows, masks, judge=None):
    """A CAAE's figures for each label value ('studio=cel', ...): restyling to it (SSIM to
    the target against identity's, the look where the targets have outline masks, and with
    judge, a (classifier, target value), the share judged the target value) and
    reconstructing images of it under their own labels (SSIM to the input)."""
    table = {}
    for tag in model.label_space.tags:
        for value in sorted({str(r[tag]) for r in target_rows}):
            chosen = [i for i, r in enumerate(target_rows) if str(r[tag]) == value]
            entry = table.setdefault(f"{tag}={value}", {})
            entry["restyled_pairs"] = len(chosen)
            entry["restyled_ssim"] = image_metrics(translated[chosen], target[chosen])["ssim"]
            entry["identity_ssim"] = image_metrics(source[chosen], target[chosen])["ssim"]
            if masks is not None:
                entry["look"] = outlines.look_scores(translated[chosen], masks[chosen], target[chosen])
            if judge is not None:
                entry["judged"] = judge[0].share(translated[chosen], judge[1])
        for value in sorted({str(r[tag]) for r in source_rows}):
            chosen = [i for i, r in enumerate(source_rows) if str(r[tag]) == value]
            table.setdefault(f"{tag}={value}", {})["reconstruction_ssim"] = image_metrics(
                kept[chosen], source[chosen])["ssim"]
    return table


def evaluate_all(model, data, domain_a, domain_b, split="test", size=None, style=True, classifier_tag=None,
                 features=None):
    """Paired metrics (or why there are none) and, with `style`, results["style"]: the
    style scores (trainer.evaluation.style_scores; features as there)."""
    images = TestImages(size or model.config["image_size"])
    judge = None
    if style:
        try:
            judge = style_scores.judge(data, domain_a, domain_b, classifier_tag)
        except ValueError:  # the style scores below say why
            pass
    try:
        results = evaluate(model, data, domain_a, domain_b, split, size, images, judge)
    except PairsUnavailable as e:
        results = {"paired_unavailable": str(e), "split": split}
    if style:
        try:
            results["style"] = style_scores.style_scores(model, data, domain_a, domain_b, split, classifier_tag,
                                                         features, images=images)
        except style_scores.TooFewImages as e:  # the paired metrics still stand
            results["style_unavailable"] = str(e)
    return results


def format_table(results):
    """The paired metrics and the look as a text table."""
    if "directions" not in results:
        return f"no paired metrics: {results['paired_unavailable']}"
    skipped = results.get("pairs_with_unknown_labels_skipped")
    lines = [f"{results['pairs']} {results['split']} pairs at {results['image_size']} px"
             + (f" (flat fills on {', '.join(results['flat_fills'])})" if results.get("flat_fills") else "")
             + (f" ({skipped} skipped: labels the model was not trained on)" if skipped else ""),
             f"{'direction':<16}{'':<10}{'L1':>8}{'PSNR':>8}{'SSIM':>8}"]
    for direction, rows in results["directions"].items():
        for name, m in rows.items():
            lines.append(f"{direction:<16}{name:<10}{m['l1']:>8.4f}{m['psnr']:>8.2f}{m['ssim']:>8.4f}")
    for domain, m in results.get("reconstruction", {}).items():
        lines.append(f"{domain + ' itself':<16}{'recon':<10}{m['l1']:>8.4f}{m['psnr']:>8.2f}{m['ssim']:>8.4f}")
    if "look" in results:
        lines += ["", "the look, against the target renders' outline masks (1 px tolerance); flat texture: "
                  "the mean gradient where the render is flat",
                  f"{'direction':<16}{'':<10}{'lines P':>9}{'R':>7}{'F1':>7}{'sharpness':>11}{'flat texture':>14}"]
        for direction, rows in results["look"].items():
            for name, m in rows.items():
                lines.append(f"{direction:<16}{name:<10}{m['outline_precision']:>9.3f}{m['outline_recall']:>7.3f}"
                             f"{m['outline_f1']:>7.3f}{m['edge_sharpness']:>11.3f}{m['flat_texture']:>14.2f}")
    if "judged" in results:
        judged = results["judged"]
        lines += ["", f"judged: the style classifier's share of the pairs it assigns to the target {judged['tag']}",
                  f"{'direction':<16}{'model':>8}{'identity':>10}{'target':>8}"]
        lines += [f"{direction:<16}{m['model']:>8.3f}{m['identity']:>10.3f}{m['target']:>8.3f}"
                  for direction, m in judged["directions"].items()]
    if "per_label" in results:
        lines += ["", "per label value: restyled to it (SSIM to the target, identity's; the look where the "
                  "targets have outlines; the share judged the target's style), and its images reconstructed "
                  "under their own labels",
                  f"{'label':<24}{'pairs':>6}{'SSIM':>8}{'ident.':>8}{'lines P':>9}{'R':>7}{'F1':>7}"
                  f"{'sharp':>7}{'flat':>7}{'judged':>8}{'recon':>8}"]
        for name, m in results["per_label"].items():
            look = m.get("look")
            look_cells = (f"{look['outline_precision']:>9.3f}{look['outline_recall']:>7.3f}{look['outline_f1']:>7.3f}"
                          f"{look['edge_sharpness']:>7.3f}{look['flat_texture']:>7.2f}" if look else f"{'':>37}")
            restyled = (f"{m['restyled_pairs']:>6}{m['restyled_ssim']:>8.4f}{m['identity_ssim']:>8.4f}"
                        if "restyled_ssim" in m else f"{'':>22}")
            judged = f"{m['judged']:>8.3f}" if "judged" in m else f"{'':>8}"
            recon = f"{m['reconstruction_ssim']:>8.4f}" if "reconstruction_ssim" in m else ""
            lines.append(f"{name:<24}{restyled}{look_cells}{judged}{recon}")
    return "\n".join(lines)
