import atexit
import os
import shutil
import tempfile

# Every worker (pytest-xdist starts one per core) and every process a test starts runs
# TensorFlow on one thread: the tests' tiny models gain little from its thread pools, and a
# pool per worker on shared cores thrashes (2 cores, whole suite, back to back: 41.4 min
# serially with its own pools, 28.2 on two single-threaded workers). JAX keeps its pool.
for name in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(name, "1")

# The JAX processes of one test run share a compilation cache: each builds the same tiny
# networks, and compiling their initializers and steps is most of such a process's time (the
# tiny trainers' replay on JAX, 2 cores: 94 s cold, 22 s warm). Compiles are short but
# many, so every one is kept.
if "JAX_COMPILATION_CACHE_DIR" not in os.environ:  # the first process of the run makes it
    os.environ["JAX_COMPILATION_CACHE_DIR"] = tempfile.mkdtemp(prefix="jax-cache-")
    atexit.register(shutil.rmtree, os.environ["JAX_COMPILATION_CACHE_DIR"], ignore_errors=True)
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")

# XLA compiles the tests' tiny steps (JAX, and TensorFlow's --jit-compile) without its LLVM
# optimisation passes: that is most of a cold compile (a tiny trainer pair's JAX process, 2
# cores: 50 s of CPU, 22 s without), and steps run a handful of times here. The passes change
# speed, not what a step computes (to float rounding at most); users' runs keep them.
if "xla_backend_optimization_level" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} --xla_backend_optimization_level=0".strip()

import pytest  # noqa: E402 - after the thread settings, which the backends read when they start
from huggingface_hub import constants

from tests.helpers.app_process import running_app
from tests.helpers.fake_hub import FakeHub
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
def mixed_bfloat16():
    """Keras' global policy mixed_bfloat16 for one test (networks built in it compute in
    bf16), float32 again after it."""
    import keras

    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    yield
    keras.mixed_precision.set_global_policy("float32")


@pytest.fixture
def fake_hub(monkeypatch, tmp_path):
    """huggingface_hub's client pointed at tests/helpers/fake_hub.py on 127.0.0.1, with its own cache."""
    with FakeHub() as hub:
        monkeypatch.setattr(constants, "ENDPOINT", hub.endpoint)
        monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE",
                            hub.endpoint + "/{repo_id}/resolve/{revision}/{filename}")
        monkeypatch.setenv("HF_TOKEN", "hf_fake_token_for_tests")
        monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "cache"))
        monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", True)  # weights take the LFS path (see fake_hub.py)
        monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
        hub.env = {**os.environ, "HF_ENDPOINT": hub.endpoint}  # for subprocesses
        yield hub


@pytest.fixture(scope="session")
def app_server(app_process):
    """The URL of `python app.py` (see app_process)."""
    return app_process.url


@pytest.fixture(scope="session")
def web_trap():
    """A server on 127.0.0.1 standing in for the whole web: given to the app as its HTTP(S)
    proxy, it records every public address the app tries to fetch (`.requests`) and
    answers with a small PNG, so a fetch that should not happen is seen, not lost."""
    import io
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from PIL import Image

    requests = []
    png = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(png, format="PNG")

    class Trap(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            requests.append(self.path)  # a proxy request names the full URL
            body = png.getvalue()
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_CONNECT(self):  # noqa: N802 - an https fetch through the proxy
            requests.append(self.path)
            self.send_error(502)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Trap)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    server.requests = requests
    yield server
    server.shutdown()


@pytest.fixture(scope="session")
def app_process(tmp_path_factory, web_trap):
    """`python app.py` as a user starts it (demo weights, no network, MCP on), on a free
    port of 127.0.0.1, with an 8 s video cap and a 2 MB upload limit so that both can be
    tested quickly, and `web_trap` as its proxy to the web. Yields its Popen, with its URL
    as `.url` and its console log's path as `.log`."""
    log = tmp_path_factory.mktemp("app") / "app.log"
    with running_app(log, web_trap.url, "--max-video-seconds", "8", "--max-upload", "2mb", "--mcp") as process:
        yield process


@pytest.fixture(scope="session")
def _export_store(tmp_path_factory):
    return tmp_path_factory.mktemp("onnx-exports"), {}


@pytest.fixture
def reused_onnx_exports(monkeypatch, _export_store):
    """hub.onnx_runtime.export, done once per worker for each network (its Keras config and
    weights, and the size it is traced at): later exports of the same network copy the
    first's file. For tests of what uses an export (pushes, downloads, runtimes), where the
    tiny models are the same seeded networks again and again and each export takes seconds;
    the export itself is tested without it (tests/test_model_folder.py)."""
    import hashlib
    import json

    from hub import onnx_runtime

    folder, stored = _export_store
    export = onnx_runtime.export

    def export_once(net, path, image_size, keras_file=None):
        digest = hashlib.sha256(json.dumps([net.to_json(), image_size]).encode())
        for weights in net.get_weights():
            digest.update(weights.tobytes())
        key = digest.hexdigest()
        if key not in stored:
            export(net, path, image_size, keras_file)
            stored[key] = folder / f"{key}.onnx"
            shutil.copyfile(path, stored[key])
        else:
            shutil.copyfile(stored[key], path)

    monkeypatch.setattr(onnx_runtime, "export", export_once)
