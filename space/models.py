"""The models the app serves: pulled once at start-up with `from_pretrained` (a Hub repo,
`repo@revision`, or a local folder), or the demo weights that ship in space/demo_models.
A source that cannot be loaded (no network, a wrong name) falls back to the demo weights
with a notice, so the app always starts."""

import logging
from dataclasses import dataclass, field
from pathlib import Path

from hub import CAAE, CycleGAN, model_folder
from hub.errors import HubError
from space.console import without_path
from space.idle import IdleRelease, trim_heap

DEMO_FOLDER = Path(__file__).resolve().parent / "demo_models"
# The light student first: the app's default, much faster on CPUs (docs/results.md); the U-Net it learned
# from is a choice.
DEMO_CYCLEGANS = (DEMO_FOLDER / "cyclegan-toyworld-light", DEMO_FOLDER / "cyclegan-toyworld")
DEMO_CAAE = DEMO_FOLDER / "caae-toyworld"

log = logging.getLogger(__name__)


def offline_from_now():
    """Once its models are loaded the app needs nothing from the Hub. Gradio's MCP server
    calls the app through a gradio_client, whose headers make huggingface_hub fetch a
    registry of agents and send telemetry to huggingface.co; offline mode stops both."""
    from huggingface_hub import constants

    constants.HF_HUB_OFFLINE = True


@dataclass
class LoadedModel:
    name: str  # what the dropdown shows
    model: object  # a hub.CycleGAN or hub.CAAE
    source: str  # the repo id or folder it came from
    revision: str | None = None  # the Hub commit, when it came from the Hub
    demo: bool = False  # the demo weights trained on synthetic toyworld scenes

    @property
    def facts(self):
        """The model card's key facts, from config.json."""
        config = self.model.config
        facts = {"architecture": config["architecture"], "image size": f"{config['image_size']} px"}
        if config["architecture"] == "cyclegan":
            facts["directions"] = ", ".join(d.name for d in self.model.directions.values())
        else:
            facts["labels"] = ", ".join(tag for tag, _ in config["label_groups"])
        training = config.get("training") or {}
        images = sum(d.get("images", 0) for d in (training.get("data") or {}).values() if isinstance(d, dict))
        if images:
            facts["trained on"] = f"{images:,} images of {training.get('dataset', '?')}, {training.get('steps', '?'):,} steps"
        evaluation = config.get("evaluation") or {}
        for direction, scores in (evaluation.get("directions") or {}).items():
            model, identity = scores.get("model", {}), scores.get("identity", {})
            if "ssim" in model and "ssim" in identity:
                facts[f"{direction} on {evaluation.get('pairs', '?')} held-out pairs"] = (
                    f"SSIM {model['ssim']:.3f} (identity {identity['ssim']:.3f}), "
                    f"PSNR {model['psnr']:.2f} dB (identity {identity['psnr']:.2f})")
        style = evaluation.get("style") or {}
        for direction, scores in (style.get("directions") or {}).items():
            judged = scores["classifier"]
            facts[f"{direction}, judged {scores.get('target', 'as the target')} by a style classifier"] = (
                f"{judged['model']:.0%} (identity {judged['identity']:.0%}, real images {judged['real target']:.0%})")
        for direction, look in (evaluation.get("look") or {}).items():
            if all("outline_f1" in look.get(name, {}) for name in ("model", "identity", "target")):
                facts[f"{direction}, outlines where the targets draw them (F1)"] = (
                    f"{look['model']['outline_f1']:.2f} (identity {look['identity']['outline_f1']:.2f}, "
                    f"the targets themselves {look['target']['outline_f1']:.2f})")
        if config["architecture"] == "cyclegan" and self.model.flat_fills:
            facts["flat fills (grain smoothed away)"] = ", ".join(self.model.directions[key].name
                                                                 for key in self.model.flat_fills)
        flicker = config.get("flicker")
        if flicker:
            facts[f"video flicker, {flicker['direction']}"] = (
                f"warping error {flicker['temporal_reduction']:.0%} lower with \"Less flicker\"")
        return facts


@dataclass
class AppModels:
    cyclegans: list  # LoadedModel, at least one
    caae: LoadedModel
    notices: list = field(default_factory=list)  # what fell back to the demo weights, and why

    def __post_init__(self):
        self.idle = IdleRelease(self.release_memory)  # handlers run each job in self.idle.working()

    def release_memory(self):
        """What the models' last large pictures left in memory, given back (space.idle)."""
        for loaded in self.all:
            loaded.model.release_memory()
        trim_heap()

    def cyclegan(self, name):
        for loaded in self.cyclegans:
            if loaded.name == name:
                return loaded
        raise KeyError(name)

    @property
    def all(self):
        return [*self.cyclegans, self.caae]


def load_models(cyclegan_sources=(), caae_source=None, runtime="auto"):
    """Load every configured model, or the demo weights where none is configured or a
    source fails. Returns AppModels."""
    notices = []
    cyclegans = []
    for source in cyclegan_sources or []:
        loaded = _load(CycleGAN, source, runtime, notices)
        if loaded:
            cyclegans.append(loaded)
    if not cyclegans:
        cyclegans.extend(_demo(CycleGAN, folder) for folder in DEMO_CYCLEGANS)
    caae = _load(CAAE, caae_source, runtime, notices) if caae_source else None
    models = AppModels(cyclegans, caae or _demo(CAAE, DEMO_CAAE), notices)
    _unique_names(models.cyclegans)
    return models


def _load(cls, source, runtime, notices):
    repo, _, revision = str(source).partition("@")
    try:
        fetched = model_folder.Source(repo, revision=revision or None)
        folder = fetched.fetch([model_folder.CONFIG_NAME])
        model = cls.from_pretrained(repo, revision=fetched.revision, runtime=runtime)
    except HubError as e:
        name = _public_name(repo)
        log.warning("could not load %s %r: %s", cls.__name__, repo, e)  # the console may name the server's paths
        notices.append(f"Could not load {cls.__name__} {name!r} ({without_path(str(e), repo, name)[:500]}); "
                       f"serving the demo weights instead.")
        return None
    if Path(repo).is_dir():
        path = Path(repo).resolve()  # a run's RUN_DIR/model is named after the run
        return LoadedModel(name=path.parent.name if path.name == "model" else path.name, model=model,
                           source=str(path))
    # A Hub download lives in .../snapshots/<commit>: that commit is the exact revision served.
    commit = folder.name if folder.parent.name == "snapshots" else revision or None
    return LoadedModel(name=repo, model=model, source=repo, revision=commit)


def _public_name(repo):
    """What the page may call a model: a Hub repo id, or a local folder's own name (the
    server's paths are not the visitors' business)."""
    try:
        local = Path(repo).is_dir() or Path(repo).is_absolute() or repo.startswith(".")
    except (OSError, ValueError):
        local = False
    name = Path(repo).name if local else repo
    return name if len(name) <= 80 else name[:77] + "..."


def _demo(cls, folder):
    """A demo model: its folder holds float16 ONNX files only, so it runs on ONNX Runtime
    whatever --runtime says of the configured models."""
    return LoadedModel(name=f"demo: {folder.name}", model=cls.from_pretrained(str(folder), runtime="onnx"),
                       source=f"space/demo_models/{folder.name} (in this repository)", demo=True)


def _unique_names(models):
    seen = {}
    for loaded in models:
        count = seen.get(loaded.name, 0)
        seen[loaded.name] = count + 1
        if count:
            loaded.name = f"{loaded.name} ({count + 1})"
