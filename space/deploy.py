"""`python -m space.deploy SPACE_ID [--cyclegan REPO]... [--caae REPO] [--demo-models NAMESPACE]
[--dry-run]`: upload what the hosted Space runs (app.py, the hub and space packages with the
demo weights and examples, space/requirements.txt as requirements.txt, space/README.md's
front matter as README.md) to a Hugging Face Space in one commit, from a checkout of the
project. Model repos given here (or the demo weights pushed as model repos with
--demo-models) become the Space's STYLE_CYCLEGAN / STYLE_CAAE variables and its card's
`models:` and `preload_from_hub:` lists. --dry-run lists all of it and touches nothing."""

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from huggingface_hub import HfApi, SpaceCard
from huggingface_hub.errors import HFValidationError
from huggingface_hub.utils import validate_repo_id

from hub import CAAE, CycleGAN, model_folder
from hub.errors import HubError
from hub.push import push_folder
from space.models import DEMO_CAAE, DEMO_CYCLEGANS, DEMO_FOLDER

ROOT = Path(__file__).resolve().parents[1]
SPACE = ROOT / "space"
# (source, destination in the Space)
FILES = [
    (ROOT / "app.py", "app.py"),
    (ROOT / "hub", "hub"),
    (SPACE, "space"),
    (SPACE / "requirements.txt", "requirements.txt"),
]
SPACE_ONLY_HERE = {"README.md", "requirements.txt", "deploy.py", "pins.py"}  # placed at the root, or not needed


def _left_out(directory, names):
    """shutil.copytree's ignore: caches, hidden temporaries, and space/'s own deploy files."""
    skip = {n for n in names if n == "__pycache__" or n.startswith(".") or n.endswith(".pyc")}
    return skip | (SPACE_ONLY_HERE & set(names) if Path(directory) == SPACE else set())


def stage(folder, cyclegan=(), caae=None):
    """Lay out the Space in `folder`, its card naming the model repos."""
    folder = Path(folder)
    for source, name in FILES:
        if source.is_dir():
            shutil.copytree(source, folder / name, ignore=_left_out)
        else:
            shutil.copy2(source, folder / name)
    card = SpaceCard.load(SPACE / "README.md")
    models = [*cyclegan, *([caae] if caae else [])]
    if models:
        card.data.models = [m.partition("@")[0] for m in models]
        card.data.preload_from_hub = [*(_preload(m, CycleGAN) for m in cyclegan),
                                      *([_preload(caae, CAAE)] if caae else [])]
    (folder / "README.md").write_text(str(card), encoding="utf-8")


def _preload(source, cls):
    """The card's preload_from_hub entry for REPO or REPO@REVISION: the Space downloads the
    weights when it is built, not when its first visitor waits. A pinned revision names its
    files (the ONNX runtime's, which a push adds), as the entry's format requires."""
    repo, _, revision = source.partition("@")
    if not revision:
        return repo
    return f"{repo} {','.join(model_folder.onnx_files(cls.network_files.values()))} {revision}"


class DeployError(Exception):
    """A deploy that could not run or did not land; the message says what the Hub holds now."""


def check_checkout():
    """space.deploy uploads app.py and the packages as they are in a checkout of the project."""
    if not (ROOT / "app.py").is_file():
        raise DeployError(f"space.deploy uploads app.py, hub/ and space/ from a checkout of the project, and "
                          f"there is no app.py beside the installed packages in {ROOT}. Clone the repository "
                          "and run `python -m space.deploy` in it.")


def demo_repos(namespace):
    """{demo folder: the model repo it goes to}: NAMESPACE/animation-style-NAME."""
    return {folder: f"{namespace}/animation-style-{folder.name}" for folder in sorted(DEMO_FOLDER.iterdir())
            if (folder / model_folder.CONFIG_NAME).is_file()}


def push_demo_models(namespace, token=None):
    """Push each demo folder as a model repository (so the Hub lists the Space among each
    model's users); -> (CycleGAN repos, light one first as the app serves them, CAAE repo)."""
    repos = demo_repos(namespace)
    for folder, repo in repos.items():
        with tempfile.TemporaryDirectory() as tmp:  # the push renders the card with the repo id: not in the checkout
            shutil.copytree(folder, Path(tmp) / folder.name)
            push_folder(Path(tmp) / folder.name, repo, token=token,
                        commit_message="Demo weights of the animation-style Space")
    by_name = {folder.name: repo for folder, repo in repos.items()}
    return [by_name[p.name] for p in DEMO_CYCLEGANS], by_name[DEMO_CAAE.name]


def space_variables(cyclegan, caae):
    """The Space's variables that name the model repos it serves (app.py reads them)."""
    return {key: value for key, value in (("STYLE_CYCLEGAN", ",".join(cyclegan)), ("STYLE_CAAE", caae)) if value}


def deploy(space_id, cyclegan=(), caae=None, private=None, token=None):
    """Upload the Space in one commit, then set its model variables; -> the commit URL.
    A Space this call created is deleted again if the upload fails, so a failed deploy
    leaves the Hub as it was; raises DeployError saying what the Hub holds."""
    check_checkout()
    validate_repo_id(space_id)
    api = HfApi(token=token)
    with tempfile.TemporaryDirectory() as tmp:
        stage(tmp, cyclegan, caae)  # before anything is written to the Hub
        existed = api.repo_exists(space_id, repo_type="space")
        api.create_repo(space_id, repo_type="space", space_sdk="gradio", private=private, exist_ok=True)
        try:
            commit = api.upload_folder(repo_id=space_id, repo_type="space", folder_path=tmp,
                                       delete_patterns=["hub/**", "space/**"],  # modules removed since the last deploy
                                       commit_message="Deploy the animation-style app")
        except Exception as e:  # noqa: BLE001 - network, auth and server errors all end the same way
            raise DeployError(f"the upload failed: {type(e).__name__}: {e}\n{_undo_creation(api, space_id, existed)}"
                              "Run the same command again to retry.") from e
    done = []
    for key, value in space_variables(cyclegan, caae).items():
        try:
            api.add_space_variable(space_id, key, value)
        except Exception as e:  # noqa: BLE001
            raise DeployError(f"the files were uploaded ({commit.commit_url}), but setting {key} failed: "
                              f"{type(e).__name__}: {e}\nSet so far: {', '.join(done) or 'none'}. Set {key}={value} "
                              "in the Space's settings, or run the same command again.") from e
        done.append(key)
    return commit.commit_url


def _undo_creation(api, space_id, existed):
    """Delete the Space this deploy created (empty, its upload failed); -> what the Hub holds now."""
    if existed:
        return f"{space_id} is as it was: nothing of this deploy landed. "
    try:
        api.delete_repo(space_id, repo_type="space")
        return f"The Space {space_id}, created for this deploy, was deleted again: nothing changed on the Hub. "
    except Exception as e:  # noqa: BLE001
        return (f"The Space {space_id} was created for this deploy and is left empty (deleting it failed: "
                f"{type(e).__name__}). ")


def dry_run(space_id, cyclegan=(), caae=None, demo_namespace=None):
    """What a deploy would do, with no network: -> the lines to print."""
    check_checkout()
    validate_repo_id(space_id)
    lines = []
    if demo_namespace:
        lines += [f"would push {folder.relative_to(ROOT)} to the model repo {repo}"
                  for folder, repo in demo_repos(demo_namespace).items()]
    with tempfile.TemporaryDirectory() as tmp:
        stage(tmp, cyclegan, caae)
        files = sorted(p for p in Path(tmp).rglob("*") if p.is_file())
        total = sum(p.stat().st_size for p in files)
        lines.append(f"would upload {len(files)} files ({total / 1e6:.1f} MB) to the Space {space_id} in one commit:")
        lines += [f"  {p.relative_to(tmp).as_posix()}  {p.stat().st_size:,} bytes" for p in files]
        models = SpaceCard.load(Path(tmp) / "README.md").data.models
    lines.append(f"its card's models: {', '.join(models) if models else 'none (the demo weights inside it)'}")
    lines += [f"would set the variable {key}={value}" for key, value in space_variables(cyclegan, caae).items()]
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m space.deploy", description=__doc__)
    parser.add_argument("space_id", help="e.g. USER/animation-style (created if missing)")
    parser.add_argument("--cyclegan", action="append", default=[], help="a CycleGAN Hub repo to serve; repeatable")
    parser.add_argument("--caae", default=None, help="a CAAE Hub repo to serve")
    parser.add_argument("--demo-models", metavar="NAMESPACE", default=None,
                        help="push the demo weights as model repos NAMESPACE/animation-style-NAME and serve "
                             "them from there (the Hub then lists the Space among each model's users)")
    parser.add_argument("--dry-run", action="store_true", help="list what would be pushed, uploaded and set; "
                        "touch nothing")
    parser.add_argument("--private", action="store_true")
    parser.add_argument("--token", default=None, help="Hub token (default: HF_TOKEN or `hf auth login`)")
    args = parser.parse_args(argv)
    if args.demo_models and (args.cyclegan or args.caae):
        parser.error("--demo-models serves the demo weights: give it without --cyclegan and --caae")
    try:
        if args.dry_run:
            cyclegan, caae = args.cyclegan, args.caae
            if args.demo_models:
                repos = {folder.name: repo for folder, repo in demo_repos(args.demo_models).items()}
                cyclegan, caae = [repos[p.name] for p in DEMO_CYCLEGANS], repos[DEMO_CAAE.name]
            print("\n".join(dry_run(args.space_id, cyclegan, caae, args.demo_models)))
            return
        cyclegan, caae = args.cyclegan, args.caae
        if args.demo_models:
            cyclegan, caae = push_demo_models(args.demo_models, args.token)
        url = deploy(args.space_id, cyclegan, caae, args.private or None, args.token)
    except (DeployError, HFValidationError, HubError) as e:
        sys.exit(f"error: deploying to {args.space_id}: {e}")
    except Exception as e:  # noqa: BLE001 - network, auth and server errors before the upload
        sys.exit(f"error: deploying to {args.space_id} failed before the upload: {type(e).__name__}: {e}\n"
                 "Nothing local changed; run the same command again to retry.")
    print(f"deployed to {args.space_id}: {url}")


if __name__ == "__main__":
    main()
