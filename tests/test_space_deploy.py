"""`python -m space.deploy`: the Space's files, card and variables, uploaded in one commit
through huggingface_hub's real client to the fake Hub on 127.0.0.1."""

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
                 *ROOT.glob("space/demo_models/*/*"), *ROOT.glob("space/examples/*")]:
        name = path.relative_to(ROOT).as_posix()
        if name != "space/deploy.py":
            assert files[name] == path.read_bytes(), name
    assert not [name for name in files if "__pycache__" in name or name.startswith("trainer/")]


def test_the_space_requirements_cover_what_the_app_imports():
    required = {re.split(r"[<>=\[ ]", line)[0].lower().replace("_", "-")
                for line in (ROOT / "space" / "requirements.txt").read_text().splitlines()
                if line.strip() and not line.startswith("#")}
    assert {"numpy", "pillow", "huggingface-hub", "av", "onnxruntime", "opencv-python-headless"} <= required
    assert not required & {"tensorflow", "tensorflow-cpu", "keras"}  # the demo weights run on ONNX Runtime


def test_the_demo_weights_fit_the_spaces_25_mb_and_run_without_tensorflow():
    files = [p for p in (ROOT / "space" / "demo_models").rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) <= 25_000_000
    for name in ("cyclegan-toyworld-light", "cyclegan-toyworld"):
        cyclegan_files = {p.name for p in (ROOT / "space" / "demo_models" / name).iterdir()}
        assert {"generator_a2b.onnx", "generator_b2a.onnx"} <= cyclegan_files and not {
            name for name in cyclegan_files if name.endswith(".keras")}


def test_a_failed_deploy_says_so_and_how_to_retry(fake_hub):
    fake_hub.fail_commits = 403
    result = subprocess.run([sys.executable, "-m", "space.deploy", "ana/style-space"], cwd=ROOT,
                            env=fake_hub.env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "deploying to ana/style-space failed" in result.stderr and "403" in result.stderr
    assert "run the same command again" in result.stderr
    assert fake_hub.commit_count("ana/style-space") == 0


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
