"""The README.md model card of a model folder, rendered from config.json alone (so
recording evaluation numbers later only rewrites config.json and this card) with
huggingface_hub's ModelCard and our template (its default template says PyTorch)."""

import importlib.metadata
from pathlib import Path

from huggingface_hub import EvalResult, ModelCard, ModelCardData
from huggingface_hub.hub_mixin import DEFAULT_MODEL_CARD

from hub import directions, imaging

TEMPLATE = Path(__file__).parent / "templates" / "model_card.md"
# Not "keras": the Hub's Keras snippet expects a single saved model at the repo root.
LIBRARY_NAME = PROJECT = "animation-style"
# Weights learned from film frames are for non-commercial use (see the card): the licence of
# a folder whose config names none. The code is MIT (LICENSE).
NON_COMMERCIAL = "cc-by-nc-4.0"
OUTPUT_ORDER = {"model": 0, "own label": 1, "identity": 2}
REPO_PLACEHOLDER = "REPO_ID"  # in a card saved before the repo is known
# Every card's tags: the ModelHubMixin classes' (hub.hub_model), then what the folder holds
# ("keras", "onnx") and the architecture.
TAGS = ["model_hub_mixin", "style-transfer", "animation"]
TASK = "image-to-image"


def _training_rows(config):
    training = dict(config.get("training", {}))
    seconds = training.pop("seconds_this_session", None)
    training.pop("data", None)
    rows = [("architecture", config["architecture"]), ("image size", f"{config['image_size']} px")]
    rows += [(key.replace("_", " "), config[key]) for key in
             ("generator", "base_filters", "upsample", "full_size_head", "latent", "latent_dim", "stages")
             if key in config]
    rows += [(key.replace("_", " "), ", ".join(map(str, value)) if isinstance(value, list) else value)
             for key, value in sorted(training.items())]
    if seconds is not None:
        rows.append(("training time (last session)", f"{seconds / 60:.1f} min"))
    return rows


def _data_rows(config):
    data = config.get("training", {}).get("data", {})
    return [{"domain": domain, "images": info["images"],
             "movies": ", ".join(f"{movie} ({count})" for movie, count in sorted(info.get("movies", {}).items()))}
            for domain, info in data.items()]


def _eval_rows(evaluation):
    judged = evaluation.get("judged", {}).get("directions", {})  # the style classifier's verdicts on the same pairs
    rows = [{"direction": direction, "name": name, **metrics, "judged": judged.get(direction, {}).get(name)}
            for direction, outputs in evaluation.get("directions", {}).items()
            for name, metrics in sorted(outputs.items(), key=lambda item: OUTPUT_ORDER.get(item[0], 9))]
    rows += [{"direction": f"{domain} itself", "name": "reconstruction", **metrics, "judged": None}
             for domain, metrics in evaluation.get("reconstruction", {}).items()]
    return rows


def _look_rows(evaluation):
    return [{"direction": direction, "name": name, **scores}
            for direction, outputs in evaluation.get("look", {}).items() for name, scores in outputs.items()]


def _style_rows(style):
    """The style scores' table rows: per direction, classifier shares and FID/KID."""
    return [{"direction": direction, **d["classifier"], "fid": d.get("model", {}).get("fid"),
             "fid_identity": d.get("identity", {}).get("fid"), "kid": d.get("model", {}).get("kid"),
             "kid_identity": d.get("identity", {}).get("kid")}
            for direction, d in style.get("directions", {}).items()]


def slider_lines(style):
    """One line per slider mode of the style scores: the target's probability at each weight."""
    slider = style.get("slider", {})
    lines = []
    for mode in ("tag only", "whole style"):
        if mode in slider:
            target = f"p({slider['target']['tag']}={slider['target']['value']})"
            lines.append(f"{mode}: {target} at weights {', '.join(map(str, slider['weights']))} = "
                         + ", ".join(f"{p:.3f}" for p in slider[mode]["probabilities"])
                         + f" (moves {slider[mode]['move']:+.3f}"
                         + ("" if "monotonic" not in slider[mode] else
                            (", monotonic" if slider[mode]["monotonic"] else ", not monotonic")
                            + "; mean pixel change per step "
                            + ", ".join(f"{c:.1f}" for c in slider[mode]["pixel_change_per_step"]))
                         + ")")
    return lines


def significant(value, digits=4):
    """`value` to `digits` significant digits: a warping error of 0.000213 keeps its 213."""
    return float(f"{value:.{digits}g}")


def _eval_results(evaluation, flicker, dataset):
    """The model-index entries the Hub shows beside the card: the model's own numbers."""
    def result(metric, name, value, split=evaluation.get("split"), data=dataset):
        return EvalResult(task_type=TASK, dataset_type=data, dataset_name=data, dataset_split=split,
                          metric_type=metric, metric_name=name, metric_value=significant(value))

    results = [result(metric, f"{metric.upper()} {direction}", value)
               for direction, outputs in evaluation.get("directions", {}).items()
               for metric, value in outputs.get("model", {}).items()]
    for direction, outputs in evaluation.get("look", {}).items():
        results += [result(metric, f"{metric.replace('_', ' ')} {direction}", outputs["model"][metric])
                    for metric in ("outline_f1", "edge_sharpness", "flat_texture") if metric in outputs["model"]]
    for direction, judged in evaluation.get("judged", {}).get("directions", {}).items():
        results.append(result("accuracy", f"judged {evaluation['judged']['tag']} of the target, {direction}, "
                              "the pairs", judged["model"]))
    style = evaluation.get("style", {})
    for direction, d in style.get("directions", {}).items():
        results.append(result("accuracy", f"judged {style['tag']} of the target, {direction}",
                              d["classifier"]["model"]))
        results += [result(metric, f"{metric.upper()} {direction}", d["model"][metric])
                    for metric in ("fid", "kid") if metric in d.get("model", {})]
    if flicker:
        data = flicker.get("dataset") or dataset
        results += [result("warping_error", f"warping error {flicker['direction']}, {mode}",
                           flicker["warping_error"][mode], "test", data) for mode in ("per-frame", "temporal")]
    return results


def _direction_names(config, keys):
    """A CycleGAN config's direction keys -> their names ('a2b' -> '3d -> 2d'); a CAAE's
    flat-filled label names as they are."""
    if config["architecture"] == "caae":
        return list(keys)
    return [directions.of_config(config)[key].name for key in keys]


def _describe(config):
    """(title, summary, usage, limits, first network file) per architecture."""
    c = config
    if c["architecture"] == "caae":
        groups = "; ".join(f"{tag}: {', '.join(values)}" for tag, values in c["label_groups"])
        return (
            "CAAE: one image, re-rendered under another style label",
            f"A conditional adversarial autoencoder (Zhang et al., CVPR 2017) at {c['image_size']} px: "
            f"the encoder maps an image to a {c.get('latent', 'dense')} latent of size {c['latent_dim']}, "
            f"the decoder renders it under a label vector. Label groups: {groups}.",
            "from hub import CAAE\n"
            "model = CAAE.from_pretrained(\"REPO_ID\")\n"
            "print(model.label_names)\n"
            f"out = model.restyle(\"photo.jpg\", {_example_weights(c)})  # a PIL image, the input's size",
            f"Works at {c['image_size']} px: larger pictures come back at their own size but with "
            "that much detail. Only the label combinations seen in training are reliable styles.",
            "encoder.keras")
    a, b = c["domain_a_name"], c["domain_b_name"]
    return (
        f"CycleGAN: {a} <-> {b}",
        f"Two {c.get('generator', 'unet')} generators trained at {c['image_size']} px {_how_trained(c)}: "
        f"`a2b` turns {a} pictures (`{c['domain_a']}`) into {b} (`{c['domain_b']}`), `b2a` the reverse.",
        "from hub import CycleGAN\n"
        "model = CycleGAN.from_pretrained(\"REPO_ID\")\n"
        f"out = model.translate(\"photo.jpg\", \"{a} -> {b}\")  # a PIL image, the input's size",
        "Fully convolutional: any picture size works. By default the short side is scaled to the picture's "
        f"own, from the training size ({c['image_size']} px) up to {imaging.DETAIL_PX} px, as the app and "
        "`python -m hub translate` do; `size=` sets it.",
        "generator_a2b.keras")


def _how_trained(config):
    """How a CycleGAN folder's generators were trained, with the paper of their objective."""
    training = config.get("training", {})
    objective = training.get("objective", "cyclegan")
    if objective == "distill":
        return (f"to give the translations of the {training.get('teacher_generator', '')} model "
                f"`{training.get('teacher')}` (distilled)")
    return {"pix2pix": "on paired images with pix2pix's objective (Isola et al., CVPR 2017)",
            "cut": "on unpaired images with CUT's contrastive objective (Park et al., ECCV 2020)",
            "fastcut": "on unpaired images with FastCUT's contrastive objective (Park et al., ECCV 2020)",
            }.get(objective, "on unpaired images with the CycleGAN objective (Zhu et al., ICCV 2017)")


def _samples_caption(config):
    """What the rows of samples.png show: each trainer draws its own grid."""
    if config["architecture"] != "cyclegan":
        return "Each row: a test image, its reconstruction, then the image under each training label."
    objective = config.get("training", {}).get("objective", "cyclegan")
    if objective == "distill":
        return "Each row: an image of each domain, the student's translation of it, and the teacher's."
    if objective == "pix2pix":
        return "Each row: an image of each domain, its translation, and the paired image it should give."
    return "Each row: a test image, its translation, and the translation back."


ONNX_SNIPPET = """\
import json

import numpy as np
import onnxruntime as ort
from huggingface_hub import snapshot_download
from PIL import Image, ImageOps

folder = snapshot_download("{repo_id}", allow_patterns=["config.json", "{network}"])
config = json.load(open(f"{{folder}}/config.json"))
network = ort.InferenceSession(f"{{folder}}/{network}")
picture = ImageOps.exif_transpose(Image.open("photo.jpg")).convert("RGB")
w, h = picture.size
train, step = config["image_size"], max(config["image_size"] // 2, 1)
size = max(train, min(max({detail}, train), min(w, h)) // step * step)  # the short side it runs at
scale = size / min(w, h)
sw, sh = max(1, round(w * scale)), max(1, round(h * scale))
m = config["size_multiple"]  # pad by reflection to a multiple of it
x = np.pad(np.asarray(picture.resize((sw, sh), Image.Resampling.LANCZOS)),
           ((0, -sh % m), (0, -sw % m), (0, 0)), mode="symmetric")
y = network.run(None, {{network.get_inputs()[0].name: x[None].astype(np.float32) / 127.5 - 1}})[0][0]
y = np.clip((y + 1) * 127.5 + 0.5, 0, 255).astype(np.uint8)[:sh, :sw]  # [-1, 1] -> pixels, padding cut
Image.fromarray(y).resize((w, h), Image.Resampling.LANCZOS).save("translated.png")
"""


def project_links():
    """{label: URL} of the installed project's [project.urls] (pyproject.toml), as pip
    recorded them; {} where none are set or the project is not installed: a card names
    no link rather than a guessed one."""
    try:
        entries = importlib.metadata.metadata(PROJECT).get_all("Project-URL") or []
    except importlib.metadata.PackageNotFoundError:
        return {}
    return dict(entry.split(", ", 1) for entry in entries if ", " in entry)


def _code_url(links):
    """The link to install from with pip's git+ form: the repository's, else the source's."""
    return next((url for label, url in links.items() if label.lower() in ("repository", "source", "code")), None)


def _onnx_snippet(config, repo_id, onnx_files):
    """A CycleGAN's a2b with ONNX Runtime, numpy, Pillow and huggingface_hub alone: the
    `translate(..., flat_fills=False)` path written out (tests/test_core_install.py runs it
    against the package)."""
    network = "generator_a2b.onnx"
    if config["architecture"] != "cyclegan" or network not in onnx_files:
        return None
    return ONNX_SNIPPET.format(repo_id=repo_id, network=network, detail=imaging.DETAIL_PX)


def _example_weights(config):
    weights = {f"{tag}={values[0]}": 1.0 for tag, values in config["label_groups"]}
    return "{" + ", ".join(f"\"{k}\": {v}" for k, v in weights.items()) + "}"


def _with_mixin_options(card_data, links, info):
    """Apply a ModelHubMixin class's options (huggingface_hub's MixinInfo) to the card: its
    licence, language, pipeline tag and library name where it sets them, its tags beside
    ours, and its repo, paper and docs URLs as links."""
    if info is None:
        return
    options = info.model_card_data
    for key in ("license", "license_name", "license_link", "language", "pipeline_tag", "library_name"):
        if getattr(options, key, None) is not None:
            setattr(card_data, key, getattr(options, key))
    card_data.tags = card_data.tags + [tag for tag in options.tags or [] if tag not in card_data.tags]
    for label, url in (("Code", info.repo_url), ("Paper", info.paper_url), ("Documentation", info.docs_url)):
        if url and url not in links.values():
            links[label] = url


def render(config, repo_id=REPO_PLACEHOLDER, has_samples=False, onnx_files=(), mixin_info=None, **template_kwargs):
    """config.json's dict -> a huggingface_hub.ModelCard. mixin_info: a ModelHubMixin
    class's options (`cls._hub_mixin_info`), applied over ours; a model_card_template among
    them replaces ours and gets the same variables. template_kwargs: extra variables for the
    template (ModelHubMixin's model_card_kwargs)."""
    title, summary, usage, limits, first_network = _describe(config)
    training = config.get("training", {})
    dataset = training.get("dataset", "unknown data")
    evaluation, flicker = config.get("evaluation", {}), config.get("flicker")
    style = evaluation.get("style", {})
    eval_results = _eval_results(evaluation, flicker, evaluation.get("dataset", dataset))
    weights_license = training.get("weights_license", NON_COMMERCIAL)
    holds = (["keras"] if not config.get("onnx_only") else []) + (["onnx"] if onnx_files else [])
    card_data = ModelCardData(
        library_name=LIBRARY_NAME, pipeline_tag=TASK, license=weights_license,
        tags=[*TAGS, *holds, config["architecture"]], base_model=training.get("teacher_repo"),
        model_name=title if eval_results else None, eval_results=eval_results or None,
    )
    caption = _samples_caption(config)
    data_rows = _data_rows(config)
    links = project_links()
    _with_mixin_options(card_data, links, mixin_info)
    variables = dict(
        title=title, summary=summary,
        usage=usage.replace(REPO_PLACEHOLDER, repo_id), repo_id=repo_id, first_network=first_network,
        has_samples=has_samples, samples_caption=caption, onnx_files=list(onnx_files),
        onnx_snippet=_onnx_snippet(config, repo_id, onnx_files), links=links, code_url=_code_url(links),
        float16=config.get("weights_dtype") == "float16", onnx_only=bool(config.get("onnx_only")),
        flat_fills=_direction_names(config, config.get("flat_fills", [])), is_caae=config["architecture"] == "caae",
        data_text=f"Dataset `{dataset}`" + (":" if data_rows else "."), data_rows=data_rows,
        training_rows=_training_rows(config), dataset=f"`{dataset}`", data_source=training.get("data_source"),
        weights_license=weights_license, non_commercial=weights_license == NON_COMMERCIAL,
        eval_rows=_eval_rows(evaluation), judged_tag=evaluation.get("judged", {}).get("tag"),
        look_rows=_look_rows(evaluation), limits=limits,
        evaluated=bool(evaluation or flicker),
        style=style, style_split=evaluation.get("split", "test"), style_rows=_style_rows(style),
        slider_lines=slider_lines(style), per_label=style.get("per_label", {}),
        # the label vector's order (medium, studio, movie), as the style names read
        label_tags=[tag for tag, _ in config.get("label_groups", []) if tag in style.get("label_classifier_accuracy", {})],
        flicker=flicker,
        chance=", ".join(f"{tag} {1 / len(values):.2f}" for tag, values in config.get("label_groups", [])),
        eval_text=(f"Paired evaluation on {evaluation.get('pairs')} {evaluation.get('split')} pairs of "
                   f"`{evaluation.get('dataset', dataset)}` at {evaluation.get('image_size')} px"
                   + (f", with flat fills on {', '.join(_direction_names(config, evaluation['flat_fills']))}"
                      if evaluation.get("flat_fills") else "") + "; "
                   "`identity` is the untouched input scored the same way (a model that learned "
                   "nothing scores it)."),
    )
    # The card's own variables win over extra ones of the same name.
    variables = {**template_kwargs, **variables}
    if mixin_info is not None and mixin_info.model_card_template != DEFAULT_MODEL_CARD:
        urls = {"repo_url": mixin_info.repo_url, "paper_url": mixin_info.paper_url, "docs_url": mixin_info.docs_url}
        return ModelCard.from_template(card_data, template_str=mixin_info.model_card_template, **urls, **variables)
    return ModelCard.from_template(card_data, template_path=str(TEMPLATE), **variables)
