"""`python -m space.deploy SPACE_ID [--cyclegan REPO]... [--caae REPO]`: upload what the
hosted Space runs (app.py, the hub and space packages with the demo weights and examples,
space/requirements.txt as requirements.txt, space/README.md's front matter as README.md)
to a Hugging Face Space in one commit. Model repos given here become the Space's
STYLE_CYCLEGAN / STYLE_CAAE variables and its card's `models:` and `preload_from_hub:`
lists."""

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from huggingface_hub import HfApi, SpaceCard

from hub import CAAE, CycleGAN, model_folder

ROOT = Path(__file__).resolve().parents[1]
SPACE = ROOT / "space"
# (source, destination in the Space)
FILES = [
    (ROOT / "app.py", "app.py"),
    (ROOT / "hub", "hub"),
    (SPACE, "space"),
    (SPACE / "requirements.txt", "requirements.txt"),
]
SPACE_ONLY_HERE = {"README.md", "requirements.txt", "deploy.py"}  # placed at the root, or not needed


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


def deploy(space_id, cyclegan=(), caae=None, private=None, token=None):
    """Create the Space if needed, set its model variables and upload it; -> the commit URL."""
    api = HfApi(token=token)
    api.create_repo(space_id, repo_type="space", space_sdk="gradio", private=private, exist_ok=True)
    for key, value in (("STYLE_CYCLEGAN", ",".join(cyclegan)), ("STYLE_CAAE", caae)):
        if value:
            api.add_space_variable(space_id, key, value)
    with tempfile.TemporaryDirectory() as tmp:
        stage(tmp, cyclegan, caae)
        commit = api.upload_folder(repo_id=space_id, repo_type="space", folder_path=tmp,
                                   delete_patterns=["hub/**", "space/**"],  # modules removed since the last deploy
                                   commit_message="Deploy the animation-style app")
    return commit.commit_url


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m space.deploy", description=__doc__)
    parser.add_argument("space_id", help="e.g. USER/animation-style (created if missing)")
    parser.add_argument("--cyclegan", action="append", default=[], help="a CycleGAN Hub repo to serve; repeatable")
    parser.add_argument("--caae", default=None, help="a CAAE Hub repo to serve")
    parser.add_argument("--private", action="store_true")
    parser.add_argument("--token", default=None, help="Hub token (default: HF_TOKEN or `hf auth login`)")
    args = parser.parse_args(argv)
    try:
        url = deploy(args.space_id, args.cyclegan, args.caae, args.private or None, args.token)
    except Exception as e:  # noqa: BLE001 - network, auth and server errors all end the same way
        sys.exit(f"error: deploying to {args.space_id} failed: {type(e).__name__}: {e}\nNothing local changed; "
                 f"run the same command again to retry.")
    print(f"deployed to {args.space_id}: {url}")


if __name__ == "__main__":
    main()
