import os

import pytest
from fake_hub import FakeHub
from huggingface_hub import constants

from trainer.data import toyworld_dataset


@pytest.fixture(scope="session")
def toyworld_64(tmp_path_factory):
    """A small paired toyworld dataset at 64 px: 30 scenes (3 in the test split)."""
    out = tmp_path_factory.mktemp("toyworld64")
    toyworld_dataset.generate(out, count=30, size=64, seed=3, workers=1, progress=False)
    return out


@pytest.fixture(scope="session")
def toyworld_32_clip(tmp_path_factory):
    """Toyworld at 32 px with enough stills for a style classifier (200 scenes, 20 in the
    test split) and one 61-frame orbit clip."""
    out = tmp_path_factory.mktemp("toyworld32")
    toyworld_dataset.generate(out, count=200, size=32, seed=5, sequences=1, workers=1, progress=False)
    return out


@pytest.fixture
def fake_hub(monkeypatch, tmp_path):
    """huggingface_hub's client pointed at tests/fake_hub.py on 127.0.0.1, with its own cache."""
    with FakeHub() as hub:
        monkeypatch.setattr(constants, "ENDPOINT", hub.endpoint)
        monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE",
                            hub.endpoint + "/{repo_id}/resolve/{revision}/{filename}")
        monkeypatch.setenv("HF_TOKEN", "hf_fake_token_for_tests")
        monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "cache"))
        hub.env = {**os.environ, "HF_ENDPOINT": hub.endpoint}  # for subprocesses
        yield hub


@pytest.fixture(scope="session")
def app_server(app_process):
    """The URL of `python app.py` (see app_process)."""
    return app_process.url


@pytest.fixture(scope="session")
def app_process(tmp_path_factory):
    """`python app.py` as a user starts it (demo weights, no network), on a free port of
    127.0.0.1, with an 8 s video cap and a 2 MB upload limit so that both can be tested
    quickly. Yields its Popen, with its URL as `.url`."""
    import socket
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    root = Path(__file__).resolve().parents[1]
    log = tmp_path_factory.mktemp("app") / "app.log"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    with open(log, "w") as out:
        process = subprocess.Popen([sys.executable, "app.py", "--port", str(port), "--max-video-seconds", "8",
                                    "--max-upload", "2mb"],
                                   cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 180
    while True:
        try:
            urllib.request.urlopen(url, timeout=5)
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"app.py did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
    process.url = url
    yield process
    process.terminate()
    process.wait(timeout=30)
