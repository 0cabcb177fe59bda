"""The core install (`pip install .`): `from hub import CycleGAN, CAAE` loads and runs
model folders with numpy, Pillow, huggingface_hub and onnxruntime alone. A subprocess
stands in for that install by making TensorFlow, Keras, Gradio and the other extras'
packages unimportable; its outputs are compared with the Keras runtime's here."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from hub import CAAE, CycleGAN, onnx_runtime
from hub.caae import decoder_inputs
from tests.helpers import tiny_models

ROOT = Path(__file__).parents[1]
NOT_IN_THE_CORE = ["tensorflow", "keras", "gradio", "h5py", "tf2onnx", "onnx", "cv2", "av", "scipy", "jax",
                   "bs4", "requests_cache"]

AS_IF_CORE = """
import json, sys, warnings
import numpy as np

class NotInstalled:  # as if the core install were all there is
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}")

sys.meta_path.insert(0, NotInstalled())
"""

CORE_SCRIPT = AS_IF_CORE + """
from hub import CAAE, CycleGAN
from hub.caae import decoder_inputs
from hub.errors import ModelFolderError

jobs, out = json.loads(sys.argv[1]), sys.argv[2]
x = np.load(out + "/input.npy")
results = {}
for name, (kind, model_id, kwargs) in jobs.items():
    try:
        model = {"cyclegan": CycleGAN, "caae": CAAE}[kind].from_pretrained(model_id, **kwargs)
    except ModelFolderError as e:
        results[name] = str(e)
        continue
    size = model.config["image_size"]
    if kind == "cyclegan":
        y = model.generators["a2b"].predict_on_batch(x[:, :size, :size])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.translate(np.zeros((20, 30, 3), np.uint8))  # the whole path: resize, pad, crop
        results[name + " warned"] = [str(w.message) for w in caught]
    else:
        z = model.encoder.predict_on_batch(x[:, :size, :size])
        labels = np.stack([model.label_vector(model.styles[0])] * len(x))
        y = model.decoder.predict_on_batch(decoder_inputs(z, labels))
        model.restyle(np.zeros((20, 30, 3), np.uint8), {"medium": "2d"})
    np.save(f"{out}/{name}.npy", y)
    results[name] = "ran"
results["imported"] = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
print(json.dumps(results))
"""


def run_core(jobs, tmp_path, env=None):
    """Run CORE_SCRIPT on `jobs` ({name: (kind, model id, from_pretrained kwargs)}) ->
    ({name: 'ran' or the error}, {name: output array})."""
    x = np.random.default_rng(0).uniform(-1, 1, (2, 128, 128, 3)).astype(np.float32)
    np.save(tmp_path / "input.npy", x)
    script = f"BLOCKED = {set(NOT_IN_THE_CORE)!r}\n" + CORE_SCRIPT
    result = subprocess.run([sys.executable, "-c", script, json.dumps(jobs), str(tmp_path)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    results = json.loads(result.stdout.strip().splitlines()[-1])
    return x, results, {name: np.load(tmp_path / f"{name}.npy") for name in jobs if results[name] == "ran"}


@pytest.mark.skipif(not (onnx_runtime.can_export() and onnx_runtime.can_run()),
                    reason="the folders' ONNX exports need tf2onnx, running them onnxruntime")
@pytest.mark.slow
def test_the_core_install_loads_and_runs_folders_without_tensorflow(fake_hub, tmp_path):
    cyclegan, caae = tiny_models.cyclegan(), tiny_models.toyworld_caae(skips=True)  # a U-Net CAAE: [z, *skips]
    cyclegan.save_pretrained(tmp_path / "cyclegan")
    caae.push_to_hub("ana/core-caae")
    demo_caae = ROOT / "space" / "demo_models" / "caae-toyworld"
    cache = str(tmp_path / "cache")
    jobs = {"folder": ("cyclegan", str(tmp_path / "cyclegan"), {}),
            "hub": ("caae", "ana/core-caae", {"cache_dir": cache}),
            "demo_caae": ("caae", str(demo_caae), {}),
            "demo_cyclegan": ("cyclegan", str(ROOT / "space" / "demo_models" / "cyclegan-toyworld"), {}),
            "keras_only": ("cyclegan", str(tmp_path / "cyclegan"), {"runtime": "keras"})}
    (tmp_path / "out").mkdir()
    x, results, outputs = run_core(jobs, tmp_path / "out", env=fake_hub.env)

    assert results["imported"] == []  # nothing of TensorFlow, Keras or Gradio was even imported
    assert results["demo_cyclegan"] == "ran"  # ONNX only: its Keras networks are not in the folder
    # its flat fills run without OpenCV too (hub.mean_shift), so nothing to warn of
    assert results["demo_cyclegan warned"] == []
    assert results["folder warned"] == []
    assert "pip install 'animation-style[keras]'" in results["keras_only"]
    label = lambda model: np.stack([model.label_vector(model.styles[0])] * 2)  # noqa: E731
    assert results["demo_caae"] == "ran"  # ONNX only, as the demo CycleGAN
    keras_runs = {
        "folder": CycleGAN.from_pretrained(tmp_path / "cyclegan", runtime="keras"),
        "hub": CAAE.from_pretrained("ana/core-caae", cache_dir=cache, runtime="keras")}
    for name, model in keras_runs.items():
        assert results[name] == "ran"
        if name == "folder":
            expected = model.generators["a2b"].predict_on_batch(x[:, :32, :32])
        else:
            size = model.config["image_size"]
            latents = model.encoder.predict_on_batch(x[:, :size, :size])
            expected = model.decoder.predict_on_batch(decoder_inputs(latents, label(model)))
        np.testing.assert_allclose(outputs[name], expected, atol=1e-3, err_msg=name)


PARITY_SCRIPT = AS_IF_CORE + """
from hub import CycleGAN
from hub.__main__ import main
model = CycleGAN.from_pretrained(sys.argv[1])
np.save(sys.argv[2] + "/core.npy", np.asarray(model.translate(sys.argv[3])))  # the defaults: size, flat fills
model.save_pretrained(sys.argv[2] + "/saved")  # an ONNX-only folder: its files are copied, the card rendered
main(["push", sys.argv[2] + "/saved", "ana/core-push"])
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)))
"""


@pytest.mark.slow
def test_the_core_install_draws_the_apps_pictures_and_saves_and_pushes(fake_hub, tmp_path):
    """Without OpenCV (blocked), the demo CycleGAN's default translation of a photo (its detail
    size, its flat fills) is the app's, pixel for pixel; a core user saves and pushes the model."""
    from space import handlers, models

    demo = ROOT / "space" / "demo_models" / "cyclegan-toyworld"
    photo = ROOT / "docs" / "photos" / "astronaut.jpg"
    script = f"BLOCKED = {set(NOT_IN_THE_CORE)!r}\n" + PARITY_SCRIPT
    result = subprocess.run([sys.executable, "-c", script, str(demo), str(tmp_path), str(photo)], cwd=ROOT,
                            env=fake_hub.env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []  # OpenCV, Keras ... never imported
    core = np.load(tmp_path / "core.npy")

    app_models = models.AppModels(cyclegans=[models.LoadedModel("demo", CycleGAN.from_pretrained(demo), "tests")],
                                  caae=models.LoadedModel("tiny caae", tiny_models.caae(), "tests"))
    size = handlers.detail_size(str(photo), 128)  # where the page's size slider starts
    app = np.asarray(handlers.translate_image(app_models, str(photo), "a2b", size=size))
    assert core.shape == app.shape and np.array_equal(core, app)
    saved = sorted(p.name for p in (tmp_path / "saved").iterdir())
    assert saved == ["README.md", "config.json", "generator_a2b.onnx", "generator_b2a.onnx", "samples.png"]
    assert "CycleGAN" in (tmp_path / "saved" / "README.md").read_text()
    assert set(fake_hub.files("ana/core-push")) >= {"README.md", "config.json", "generator_a2b.onnx"}


@pytest.mark.slow
@pytest.mark.parametrize("demo", ["cyclegan-toyworld-light", "cyclegan-toyworld"])
def test_the_cards_onnx_runtime_snippet_is_translate_without_flat_fills(fake_hub, tmp_path, demo):
    """The card's snippet for people without this package, pushed and run as they would:
    only onnxruntime, numpy, Pillow and huggingface_hub importable, from another folder."""
    folder = ROOT / "space" / "demo_models" / demo
    photo = ROOT / "docs" / "photos" / "coffee.jpg"
    model = CycleGAN.from_pretrained(folder)
    model.push_to_hub(f"ana/{demo}")
    card = fake_hub.files(f"ana/{demo}")["README.md"].decode()
    snippet = card.split("### With ONNX Runtime alone")[1].split("```python\n")[1].split("```")[0]
    assert f'snapshot_download("ana/{demo}", allow_patterns=["config.json", "generator_a2b.onnx"])' in snippet
    shutil.copy(photo, tmp_path / "photo.jpg")
    blocked = {*NOT_IN_THE_CORE, "hub", "trainer", "space", "jinja2"}
    script = (f"BLOCKED = {blocked!r}\n" + AS_IF_CORE + snippet
              + "\nprint(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in BLOCKED)))")
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=fake_hub.env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
    expected = np.asarray(model.translate(photo, "a2b", flat_fills=False))
    assert np.array_equal(np.asarray(Image.open(tmp_path / "translated.png")), expected)


NOT_IN_THE_APP_EXTRA = ["tensorflow", "keras", "h5py", "tf2onnx", "onnx", "scipy", "jax", "bs4", "requests_cache",
                        "tensorboard", "matplotlib"]


@pytest.mark.slow
def test_the_app_extra_serves_the_demo_without_tensorflow(tmp_path):
    """README.md, "Run": `pip install ".[app]" && python app.py`. The app starts and translates and
    restyles the examples with the train extra's packages made unimportable."""
    import socket
    import time

    import httpx
    from gradio_client import Client, handle_file

    from space import ui

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    script = (f"BLOCKED = {set(NOT_IN_THE_APP_EXTRA)!r}\n" + AS_IF_CORE
              + f"import runpy; sys.argv = ['app.py', '--port', '{port}']; runpy.run_path('app.py', run_name='__main__')")
    with open(tmp_path / "log.txt", "w") as log:
        process = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        url, deadline = f"http://127.0.0.1:{port}/", time.monotonic() + 120
        while True:
            try:
                httpx.get(url, timeout=5)
                break
            except httpx.HTTPError:
                assert process.poll() is None and time.monotonic() < deadline, (tmp_path / "log.txt").read_text()[-3000:]
                time.sleep(0.5)
        client = Client(url, verbose=False)
        example = handle_file(str(ui.EXAMPLES[0]))
        translated = client.predict(example, "3d -> 2d", api_name="/translate")
        restyled, _ = client.predict(example, own_style="3d / clay / clay-desert", api_name="/restyle")
        assert Image.open(translated).size == Image.open(restyled).size == Image.open(ui.EXAMPLES[0]).size
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert "ModuleNotFoundError" not in (tmp_path / "log.txt").read_text()


WHEEL_SCRIPT = """
import json, sys
from pathlib import Path
import numpy as np
import space  # the package data: demo weights and examples
from hub import CAAE, CycleGAN

here = Path(space.__file__).parent
assert "site-packages" in str(here), here  # the installed wheel, not the checkout
photo = here / "examples" / "photos" / "coffee.jpg"
cyclegan = CycleGAN.from_pretrained(here / "demo_models" / "cyclegan-toyworld-light")
np.save(sys.argv[1] + "/translated.npy", np.asarray(cyclegan.translate(photo, "3d -> 2d")))
caae = CAAE.from_pretrained(here / "demo_models" / "caae-toyworld")
np.save(sys.argv[1] + "/restyled.npy", np.asarray(caae.restyle(photo, {"medium": "2d", "studio": "cel"})))
cyclegan.save_pretrained(sys.argv[1] + "/saved")  # the card's template is package data too
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules} & {"tensorflow", "keras", "gradio", "cv2", "av"})))
"""


@pytest.mark.slow
def test_the_core_install_from_a_built_wheel_in_a_fresh_environment(tmp_path):
    """`pip install animation-style` with nothing but the core dependencies, from the wheel
    (so a wheel that lacks its data files fails here), run outside the checkout."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path / "dist")], check=True, timeout=300)
    wheel, = (tmp_path / "dist").glob("animation_style-*.whl")
    env = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True, timeout=120)
    install = subprocess.run([str(env / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)],
                             capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr[-3000:]
    (tmp_path / "out").mkdir()
    result = subprocess.run([str(env / "bin" / "python"), "-c", WHEEL_SCRIPT, str(tmp_path / "out")], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300, env={"PATH": os.environ["PATH"],
                                                                               "HF_HUB_OFFLINE": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []  # none of the extras is there at all
    photo = ROOT / "space" / "examples" / "photos" / "coffee.jpg"
    demo = ROOT / "space" / "demo_models"
    expected = np.asarray(CycleGAN.from_pretrained(demo / "cyclegan-toyworld-light").translate(photo, "3d -> 2d"))
    assert np.array_equal(np.load(tmp_path / "out" / "translated.npy"), expected)
    restyled = CAAE.from_pretrained(demo / "caae-toyworld").restyle(photo, {"medium": "2d", "studio": "cel"})
    assert np.array_equal(np.load(tmp_path / "out" / "restyled.npy"), np.asarray(restyled))
    assert "CycleGAN" in (tmp_path / "out" / "saved" / "README.md").read_text()
