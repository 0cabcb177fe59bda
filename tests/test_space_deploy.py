"""`python -m space.deploy`: the Space's files, card and variables, uploaded in one commit
through huggingface_hub's real client to the fake Hub on 127.0.0.1."""

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from space import deploy

ROOT = Path(__file__).resolve().parents[1]


def front_matter(text):
    return yaml.safe_load(re.match(r"---\n(.*?)\n---\n", text, re.S).group(1))


def test_deploy_uploads_the_space_in_one_commit(fake_hub):
    url = deploy.deploy("ana/style-space", cyclegan=["ana/pixar2ghibli@v1"], caae="ana/caae")
    assert url.startswith(f"{fake_hub.endpoint}/")
    repo = fake_hub.repos["ana/style-space"]
    assert repo["type"] == "space" and repo["sdk"] == "gradio"
    assert fake_hub.commit_count("ana/style-space") == 1
    assert repo["variables"] == {"STYLE_CYCLEGAN": "ana/pixar2ghibli@v1", "STYLE_CAAE": "ana/caae"}

    files = fake_hub.files("ana/style-space")
    card = front_matter(files["README.md"].decode())
    assert card["sdk"] == "gradio" and card["app_file"] == "app.py" and card["python_version"] == "3.11"
    assert card["models"] == ["ana/pixar2ghibli", "ana/caae"]
    assert card["preload_from_hub"] == [  # downloaded when the Space is built
        "ana/pixar2ghibli config.json,samples.png,generator_a2b.onnx,generator_b2a.onnx v1", "ana/caae"]
    assert files["app.py"] == (ROOT / "app.py").read_bytes()
    assert files["requirements.txt"] == (ROOT / "space" / "requirements.txt").read_bytes()
    # every module the app imports, the demo weights with their cards, the examples
    for path in [*ROOT.glob("hub/*.py"), *ROOT.glob("hub/templates/*"), *ROOT.glob("space/*.py"),
                 *ROOT.glob("space/demo_models/*/*"), *ROOT.glob("space/examples/**/*.*")]:
        name = path.relative_to(ROOT).as_posix()
        if name not in ("space/deploy.py", "space/pins.py"):  # run from the checkout only
            assert files[name] == path.read_bytes(), name
    assert not [name for name in files if "__pycache__" in name or name.startswith("trainer/")]
    binary = [name for name in files if name.endswith((".onnx", ".png", ".jpg"))]
    assert binary and all(hashlib.sha256(files[name]).hexdigest() in fake_hub.lfs_objects for name in binary)


def test_the_space_requirements_cover_what_the_app_imports():
    required = {re.split(r"[<>=\[ ]", line)[0].lower().replace("_", "-")
                for line in (ROOT / "space" / "requirements.txt").read_text().splitlines()
                if line.strip() and not line.startswith("#")}
    assert {"numpy", "pillow", "huggingface-hub", "av", "onnxruntime", "opencv-python-headless"} <= required
    assert not required & {"tensorflow", "tensorflow-cpu", "keras"}  # the demo weights run on ONNX Runtime


def test_the_space_requirements_are_the_tested_versions():
    import gradio

    from space import pins

    text = (ROOT / "space" / "requirements.txt").read_text()
    assert pins.pinned(text) == text, "run python -m space.pins: the pins differ from the tested versions"
    assert all("==" in line for line in text.splitlines() if line.strip() and not line.startswith("#"))
    card = (ROOT / "space" / "README.md").read_text()
    assert front_matter(card)["sdk_version"] == gradio.__version__  # the Space's Gradio is the tested one too
    assert pins.with_sdk_version(card) == card


@pytest.mark.slow
def test_the_space_requirements_install_together_in_a_fresh_environment(tmp_path):
    """What the Space's build runs, resolved by pip in a new virtual environment (this
    Python, the package index as configured here); --dry-run: nothing is installed."""
    subprocess.run([sys.executable, "-m", "venv", str(tmp_path / "env")], check=True, timeout=120)
    sdk = front_matter((ROOT / "space" / "README.md").read_text())["sdk_version"]
    result = subprocess.run([str(tmp_path / "env" / "bin" / "python"), "-m", "pip", "install", "--dry-run",
                             "--only-binary=:all:", "-r", str(ROOT / "space" / "requirements.txt"),
                             f"gradio=={sdk}"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"gradio-{sdk}" in result.stdout and "onnxruntime-" in result.stdout
    assert "tensorflow" not in result.stdout.lower()


def test_the_demo_weights_fit_the_spaces_25_mb_and_run_without_tensorflow():
    files = [p for p in (ROOT / "space" / "demo_models").rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) <= 25_000_000
    for name in ("cyclegan-toyworld-light", "cyclegan-toyworld"):
        cyclegan_files = {p.name for p in (ROOT / "space" / "demo_models" / name).iterdir()}
        assert {"generator_a2b.onnx", "generator_b2a.onnx"} <= cyclegan_files and not {
            name for name in cyclegan_files if name.endswith(".keras")}


def test_a_failed_deploy_leaves_the_hub_as_it_was_and_says_how_to_retry(fake_hub):
    fake_hub.fail_commits = 403
    command = [sys.executable, "-m", "space.deploy", "ana/style-space", "--cyclegan", "ana/one", "--caae", "ana/two"]
    result = subprocess.run(command, cwd=ROOT, env=fake_hub.env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "403" in result.stderr and "Traceback" not in result.stderr
    assert "The Space ana/style-space, created for this deploy, was deleted again: nothing changed on the Hub" \
        in result.stderr and "Run the same command again to retry." in result.stderr
    assert "ana/style-space" not in fake_hub.repos  # neither the Space nor its variables
    # a Space that was there keeps its files and variables when a later deploy fails
    fake_hub.fail_commits = False
    deploy.deploy("ana/style-space", cyclegan=["ana/one"])
    fake_hub.fail_commits = 403
    result = subprocess.run(command, cwd=ROOT, env=fake_hub.env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "ana/style-space is as it was: nothing of this deploy landed" in result.stderr
    assert fake_hub.commit_count("ana/style-space") == 1
    assert fake_hub.repos["ana/style-space"]["variables"] == {"STYLE_CYCLEGAN": "ana/one"}


def test_a_dry_run_lists_everything_and_touches_nothing(fake_hub, capsys):
    deploy.main(["ana/style-space", "--demo-models", "ana", "--dry-run"])
    printed = capsys.readouterr().out
    assert "would push space/demo_models/caae-toyworld to the model repo ana/animation-style-caae-toyworld" in printed
    assert re.search(r"would upload \d+ files \([\d.]+ MB\) to the Space ana/style-space in one commit:", printed)
    assert "  app.py  " in printed and "  space/demo_models/cyclegan-toyworld/generator_a2b.onnx  " in printed
    assert "would set the variable STYLE_CYCLEGAN=ana/animation-style-cyclegan-toyworld-light," \
        "ana/animation-style-cyclegan-toyworld" in printed
    assert "its card's models: ana/animation-style-cyclegan-toyworld-light" in printed
    assert fake_hub.requests == [] and fake_hub.repos == {}


def test_the_demo_weights_go_to_model_repos_that_the_space_names(fake_hub):
    before = {p: p.read_bytes() for p in (ROOT / "space" / "demo_models").rglob("*") if p.is_file()}
    deploy.main(["ana/style-space", "--demo-models", "ana"])
    for name in ("cyclegan-toyworld-light", "cyclegan-toyworld", "caae-toyworld"):
        files = fake_hub.files(f"ana/animation-style-{name}")
        assert f'from_pretrained("ana/animation-style-{name}")' in files["README.md"].decode()
        assert files["config.json"] == (ROOT / "space" / "demo_models" / name / "config.json").read_bytes()
    card = front_matter(fake_hub.files("ana/style-space")["README.md"].decode())
    assert card["models"] == ["ana/animation-style-cyclegan-toyworld-light", "ana/animation-style-cyclegan-toyworld",
                              "ana/animation-style-caae-toyworld"]
    assert fake_hub.repos["ana/style-space"]["variables"]["STYLE_CAAE"] == "ana/animation-style-caae-toyworld"
    assert {p: p.read_bytes() for p in before} == before  # the checkout's demo cards are untouched


def test_deploy_from_an_install_says_it_needs_a_checkout(monkeypatch, tmp_path):
    monkeypatch.setattr(deploy, "ROOT", tmp_path)  # as in site-packages: hub/ and space/, no app.py
    with pytest.raises(SystemExit, match="there is no app.py beside the installed packages .* Clone the repository"):
        deploy.main(["ana/style-space", "--dry-run"])


@pytest.mark.slow
def test_the_staged_space_builds_its_app_from_its_own_files(tmp_path):
    deploy.stage(tmp_path)
    check = (
        "import sys, app\n"
        "from space.models import load_models\n"
        "from space.ui import build_demo\n"
        "models = load_models()\n"
        "demo = build_demo(models)\n"
        "models.cyclegans[0].model.translate('space/examples/' + sorted(__import__('os').listdir('space/examples'))[0])\n"
        "assert not [n for n in sys.modules if n.split('.')[0] in ('tensorflow', 'keras')], 'TensorFlow was imported'\n"
        "here = sys.path[0]\n"
        "ours = [m for name, m in sys.modules.items() if name.split('.')[0] in ('hub', 'space', 'app')]\n"
        "assert all(m.__file__.startswith(here) for m in ours if getattr(m, '__file__', None)), ours\n"
        "assert not [name for name in sys.modules if name.split('.')[0] == 'trainer']\n"
        "print('built', len(ours))\n")
    (tmp_path / "check_space.py").write_text(check)
    result = subprocess.run([sys.executable, "check_space.py"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=300, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert result.returncode == 0 and "built" in result.stdout, result.stderr[-3000:]
