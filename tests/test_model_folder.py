"""Model folders: save_pretrained -> from_pretrained round trips (Keras and ONNX Runtime),
the model card, and clear errors for folders that cannot be loaded."""

import io
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import h5py
import keras
import numpy as np
import onnx
import pytest
import yaml

from hub import CAAE, CycleGAN, model_card, model_folder, nets, onnx_runtime
from hub.errors import ModelFolderError
from hub.model_folder import store_float16
from tests.helpers import tiny_models

needs_onnx = pytest.mark.skipif(not (onnx_runtime.can_export() and onnx_runtime.can_run()),
                                reason="tf2onnx and onnxruntime are in requirements.txt")


@pytest.fixture(scope="module")
def cyclegan_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cyclegan") / "model"
    tiny_models.cyclegan().save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def caae_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("caae") / "model"
    tiny_models.caae().save_pretrained(folder)
    return folder


def copy(folder, tmp_path):
    return shutil.copytree(folder, tmp_path / "copy")


def images(n=2, h=32, w=64):
    return np.random.default_rng(1).integers(0, 255, (n, h, w, 3), np.uint8)


@pytest.mark.slow
def test_cyclegan_round_trip_gives_identical_outputs(cyclegan_folder):
    loaded = CycleGAN.from_pretrained(cyclegan_folder, runtime="keras")
    original = tiny_models.cyclegan()
    for direction in ("a2b", "b2a"):
        np.testing.assert_array_equal(loaded.translate_array(images(), direction),
                                      original.translate_array(images(), direction))
    assert loaded.config["format_version"] == model_folder.FORMAT_VERSION


@pytest.mark.slow
def test_saved_files_are_readable_by_others_as_the_umask_allows(tmp_path):
    # mkstemp creates files 0600; a model folder served by a web server or shared on a
    # machine must be 0644 under the usual umask 022. (hub.atomic reads the umask at import,
    # hence the process; every file of a folder, .onnx too, is written through it.)
    script = ("import os, pathlib, stat, sys; os.umask(0o022); from tests.helpers import tiny_models; "
              "tiny_models.without_onnx(tiny_models.cyclegan()).save_pretrained(sys.argv[1]); "
              "print(sorted({oct(stat.S_IMODE(p.stat().st_mode)) for p in pathlib.Path(sys.argv[1]).iterdir()}))")
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path / "model")], capture_output=True, text=True,
                            cwd=Path(__file__).parents[1], timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split()[-1] == "['0o644']"


def test_caae_round_trip_gives_identical_outputs(caae_folder):
    loaded, original = CAAE.from_pretrained(caae_folder, runtime="keras"), tiny_models.caae()
    assert loaded.label_names == original.label_names and loaded.styles == original.styles
    square = images(h=32, w=32)
    np.testing.assert_array_equal(loaded.decode(loaded.encode(square), loaded.styles[1]),
                                  original.decode(original.encode(square), original.styles[1]))


@needs_onnx
@pytest.mark.parametrize("kind", ["cyclegan", "caae"])
def test_onnx_runtime_matches_keras_within_1e_3(kind, cyclegan_folder, caae_folder):
    cls, folder = (CycleGAN, cyclegan_folder) if kind == "cyclegan" else (CAAE, caae_folder)
    keras_model, onnx_model = cls.from_pretrained(folder, runtime="keras"), cls.from_pretrained(folder)
    pairs = ([(keras_model.generators[d], onnx_model.generators[d]) for d in ("a2b", "b2a")]
             if kind == "cyclegan" else [(keras_model.encoder, onnx_model.encoder)])
    x = images(h=32, w=96 if kind == "cyclegan" else 32).astype(np.float32) / 127.5 - 1
    for keras_net, onnx_net in pairs:
        assert isinstance(onnx_net, onnx_runtime.OnnxNetwork)
        assert np.abs(np.asarray(keras_net(x)) - onnx_net(x)).max() < 1e-3
    if kind == "caae":
        z = keras_model.encode(images(h=32, w=32))
        labels = np.stack([keras_model.label_vector(keras_model.styles[0])] * len(z))
        assert np.abs(np.asarray(keras_model.decoder([z, labels])) - onnx_model.decoder([z, labels])).max() < 1e-3


@needs_onnx
def test_a_stale_onnx_export_is_never_used(cyclegan_folder, tmp_path):
    folder = copy(cyclegan_folder, tmp_path)
    keras.utils.set_random_seed(1)
    nets.unet_generator(32, 4).save(folder / "generator_a2b.keras")  # new weights, old .onnx
    model = CycleGAN.from_pretrained(folder)
    assert isinstance(model.generators["a2b"], keras.Model)
    assert isinstance(model.generators["b2a"], onnx_runtime.OnnxNetwork)
    with pytest.raises(ModelFolderError, match="no usable ONNX export of generator_a2b.keras"):
        CycleGAN.from_pretrained(folder, runtime="onnx")


@needs_onnx
@pytest.mark.slow
def test_a_failed_onnx_export_keeps_the_keras_weights(tmp_path, caplog, monkeypatch):
    # Keras' exporter cannot handle every layer (Keras 3.15's UpSampling2D with open image
    # sides, for one): the folder must still be written, and load.
    export = onnx_runtime.export

    def export_all_but_a2b(net, path, image_size, keras_file=None):
        if net.name == "generator_a2b":
            raise RuntimeError("Exception encountered when calling SomeLayer.call()")
        return export(net, path, image_size, keras_file)

    monkeypatch.setattr(onnx_runtime, "export", export_all_but_a2b)
    model = tiny_models.cyclegan()
    with caplog.at_level("WARNING", logger="hub.model_folder"):
        model.save_pretrained(tmp_path / "model")
    assert "ONNX export of generator_a2b.keras failed" in caplog.text
    assert json.loads((tmp_path / "model" / "config.json").read_text())["onnx"].keys() == {"generator_b2a.onnx"}
    assert not list((tmp_path / "model").glob(".*"))  # no half-written export left behind
    loaded = CycleGAN.from_pretrained(tmp_path / "model")
    assert isinstance(loaded.generators["a2b"], keras.Model)
    assert loaded.translate(images(1)[0], "a2b").size == (64, 32)


def weight_bytes(keras_file):
    """(bytes of the weight arrays, their dtypes) in a .keras file's model.weights.h5."""
    with zipfile.ZipFile(keras_file) as archive, h5py.File(io.BytesIO(archive.read("model.weights.h5"))) as f:
        arrays = []
        f.visititems(lambda name, item: arrays.append(item) if isinstance(item, h5py.Dataset) else None)
        return sum(a.nbytes for a in arrays), {str(a.dtype) for a in arrays}


def test_float16_storage_halves_the_files_and_keeps_the_outputs(cyclegan_folder, tmp_path):
    folder = copy(cyclegan_folder, tmp_path)
    before = {p.name: weight_bytes(p) for p in folder.glob("*.keras")}
    result = subprocess.run([sys.executable, "-m", "hub", "float16", str(folder)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    for name, (nbytes, dtypes) in before.items():
        assert dtypes == {"float32"} and weight_bytes(folder / name) == (nbytes // 2, {"float16"})
    assert not list(folder.glob(".*"))
    config = json.loads((folder / "config.json").read_text())
    assert config["weights_dtype"] == "float16" and sorted(config["onnx"]) == ["generator_a2b.onnx",
                                                                            "generator_b2a.onnx"]
    assert "stored as float16" in (folder / "README.md").read_text()
    original = CycleGAN.from_pretrained(cyclegan_folder, runtime="keras")
    halved = CycleGAN.from_pretrained(folder, runtime="keras")  # safe mode; float32 variables again
    assert halved.generators["a2b"].weights[0].dtype == "float32"
    x = images()
    diff = np.abs(halved.translate_array(x).astype(int) - original.translate_array(x).astype(int))
    assert diff.max() <= 2  # uint8 levels
    if onnx_runtime.can_run():  # the converted exports: half the bytes, the float16 .keras file's outputs
        for name in config["onnx"]:
            assert onnx.TensorProto.FLOAT not in {t.data_type for t in onnx.load(folder / name).graph.initializer}
            # half the weights' bytes; the graph itself is a large share of so tiny a network
            assert (folder / name).stat().st_size < 0.65 * (cyclegan_folder / name).stat().st_size
        onnx_halved = CycleGAN.from_pretrained(folder, runtime="onnx")
        x = np.random.default_rng(2).uniform(-1, 1, (2, 32, 64, 3)).astype(np.float32)
        np.testing.assert_allclose(onnx_halved.generators["a2b"].predict_on_batch(x),
                                   halved.generators["a2b"].predict_on_batch(x), atol=1e-3)


@pytest.mark.skipif(not (onnx_runtime.can_export() and onnx_runtime.can_run()),
                    reason="tf2onnx and onnxruntime are in requirements.txt")
def test_float16_exports_of_resizing_networks_still_load(tmp_path):
    """A Resize's scales and roi are constants ONNX Runtime checks as it loads: converted
    like weights (float16 behind a Cast), an empty `scales` read as given and the file failed."""
    net = nets.light_generator(8, full_size_head=True)
    onnx_runtime.export(net, tmp_path / "g.onnx", 32)
    onnx_runtime.float16_weights(tmp_path / "g.onnx", tmp_path / "g16.onnx")
    x = np.random.default_rng(0).uniform(-1, 1, (1, 16, 24, 3)).astype(np.float32)
    np.testing.assert_allclose(onnx_runtime.OnnxNetwork(tmp_path / "g16.onnx")(x),
                               keras.ops.convert_to_numpy(net(x)), atol=1e-2)


def test_missing_and_corrupted_weights_are_clear_errors(cyclegan_folder, tmp_path):
    folder = copy(cyclegan_folder, tmp_path)
    (folder / "generator_b2a.keras").unlink()
    with pytest.raises(ModelFolderError, match="missing generator_b2a.keras"):
        CycleGAN.from_pretrained(folder, runtime="keras")
    if onnx_runtime.can_run():  # the recorded ONNX export runs without its .keras file
        assert CycleGAN.from_pretrained(folder).translate(images(1)[0]).size == (64, 32)
    data = (cyclegan_folder / "generator_b2a.keras").read_bytes()
    (folder / "generator_b2a.keras").write_bytes(data[:len(data) // 2])  # a download cut short
    with pytest.raises(ModelFolderError, match="generator_b2a.keras is not a Keras 3 archive .* cut short"):
        CycleGAN.from_pretrained(folder, runtime="keras")


def test_a_config_from_a_newer_version_or_not_json_is_refused(cyclegan_folder, tmp_path):
    folder = copy(cyclegan_folder, tmp_path)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "format_version": model_folder.FORMAT_VERSION + 1}))
    with pytest.raises(ModelFolderError, match="written by a newer version"):
        CycleGAN.from_pretrained(folder)
    (folder / "config.json").write_text("{not json")
    with pytest.raises(ModelFolderError, match="config.json is not valid JSON"):
        CycleGAN.from_pretrained(folder)


def rewrite_config(folder, **changes):
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, **changes}))


@pytest.mark.parametrize("changes, message", [
    ({"image_size": 1e6}, "field 'image_size' must be a whole number, got 1000000.0"),
    ({"image_size": 0}, "field 'image_size' must be from 8 to 4096, got 0"),
    ({"image_size": "abc"}, "field 'image_size' must be a whole number, got 'abc'"),
    ({"size_multiple": 0}, "field 'size_multiple' must be from 1 to 1024, got 0"),
    ({"domain_a_name": ""}, "field 'domain_a_name' must be a non-empty string"),
    ({"architecture": "caae"}, "says architecture 'caae', not 'cyclegan'"),
    ({"flat_fills": True}, "field 'flat_fills' must be a list of 'a2b' and 'b2a', got True"),
    ({"onnx": {"../../elsewhere.onnx": {"keras_file": "generator_a2b.keras"}}},
     "field 'onnx' key must be a file name in the folder ending in .onnx, got '../../elsewhere.onnx'"),
    ({"onnx": {"generator_a2b.onnx": {"keras_file": "generator_a2b.keras", "onnx_sha256": "00"}}},
     "field 'onnx' generator_a2b.onnx: onnx_sha256 must be 64 lowercase hex digits"),
])
def test_a_tampered_config_is_refused_at_load_naming_the_field(cyclegan_folder, tmp_path, changes, message):
    folder = copy(cyclegan_folder, tmp_path)
    rewrite_config(folder, **changes)
    with pytest.raises(ModelFolderError, match=re.escape(f"{folder}: config.json {message}")):
        CycleGAN.from_pretrained(folder)


def test_a_tampered_caae_config_is_refused_at_load(caae_folder, tmp_path):
    folder = copy(caae_folder, tmp_path)
    rewrite_config(folder, label_groups=[["medium", ["2d"]]])
    with pytest.raises(ModelFolderError, match=re.escape("field 'label_groups' each entry must be [tag, [two or more")):
        CAAE.from_pretrained(folder)


def test_random_bytes_in_a_keras_file_say_what_is_wrong(cyclegan_folder, tmp_path):
    folder = copy(cyclegan_folder, tmp_path)
    (folder / "generator_a2b.keras").write_bytes(np.random.default_rng(0).bytes(5000))
    with pytest.raises(ModelFolderError, match="generator_a2b.keras is not a Keras 3 archive"):
        CycleGAN.from_pretrained(folder, runtime="keras")


@needs_onnx
def test_a_swapped_onnx_file_never_runs(cyclegan_folder, tmp_path, caplog):
    folder = copy(cyclegan_folder, tmp_path)
    # another valid export in place of a2b's: its record's sha256 no longer matches
    (folder / "generator_a2b.onnx").write_bytes((folder / "generator_b2a.onnx").read_bytes())
    model = CycleGAN.from_pretrained(folder)
    assert isinstance(model.generators["a2b"], keras.Model)
    assert isinstance(model.generators["b2a"], onnx_runtime.OnnxNetwork)
    assert "generator_a2b.onnx is not the file that was exported" in caplog.text
    with pytest.raises(ModelFolderError, match="generator_a2b.onnx is not the file that was exported"):
        CycleGAN.from_pretrained(folder, runtime="onnx")
    # a folder written before the record held the export's own sha256 runs its Keras weights
    config = json.loads((cyclegan_folder / "config.json").read_text())
    for record in config["onnx"].values():
        del record["onnx_sha256"]
    rewrite_config(folder, onnx=config["onnx"])
    assert isinstance(CycleGAN.from_pretrained(folder).generators["b2a"], keras.Model)


def test_weights_with_code_in_them_are_refused(cyclegan_folder, tmp_path):
    """Safe mode: a .keras file holding a Lambda (arbitrary Python) never loads."""
    folder = copy(cyclegan_folder, tmp_path)
    x = keras.Input((None, None, 3))
    keras.Model(x, keras.layers.Lambda(lambda t: t * 2)(x)).save(folder / "generator_a2b.keras")
    with pytest.raises(ModelFolderError, match="generator_a2b.keras is not a loadable Keras model"):
        CycleGAN.from_pretrained(folder, runtime="keras")


def metadata(card_text):
    return yaml.safe_load(card_text.split("---")[1])


def test_the_model_card_has_hub_metadata_and_renders_recorded_numbers(cyclegan_folder, tmp_path):
    folder = copy(cyclegan_folder, tmp_path)
    card = (folder / "README.md").read_text()
    meta = metadata(card)
    assert meta["pipeline_tag"] == "image-to-image" and meta["library_name"] not in (None, "keras")
    assert {"keras", "cyclegan", "style-transfer"} <= set(meta["tags"]) and meta["license"]
    assert "PyTorch" not in card and "No evaluation recorded yet" in card
    assert 'CycleGAN.from_pretrained("REPO_ID")' in card and 'model.translate("photo.jpg", "3d -> 2d")' in card
    assert "on unpaired images with the CycleGAN objective (Zhu et al., ICCV 2017)" in card  # no objective recorded

    evaluation = {"pairs": 10, "split": "test", "image_size": 32, "dataset": "toyworld64", "directions": {
        "3d -> 2d": {"model": {"l1": 0.0712, "psnr": 20.5, "ssim": 0.7123},
                     "identity": {"l1": 0.1205, "psnr": 16.67, "ssim": 0.6266}}}}
    model_folder.update_config(folder, evaluation=evaluation)
    card = (folder / "README.md").read_text()
    assert "| 3d -> 2d | model | 0.0712 | 20.50 | 0.7123 |" in card
    assert "| 3d -> 2d | identity | 0.1205 | 16.67 | 0.6266 |" in card
    results = metadata(card)["model-index"][0]["results"]
    assert {(m["type"], m["value"]) for r in results for m in r["metrics"]} >= {("ssim", 0.7123), ("l1", 0.0712)}
    assert CycleGAN.from_pretrained(folder, runtime="keras").config["evaluation"] == evaluation


def test_the_cards_tags_licence_and_base_model_follow_the_folder_and_its_training_data(monkeypatch):
    config = tiny_models.cyclegan().config
    training = config.get("training", {})

    def meta(onnx_files=(), **changes):
        return metadata(str(model_card.render({**config, **changes}, "me/light", onnx_files=onnx_files)))

    assert {"keras"} <= set(meta()["tags"]) and "onnx" not in meta()["tags"]  # Keras files only
    both = meta(["generator_a2b.onnx"])["tags"]
    assert {"keras", "onnx"} <= set(both) and both.index("onnx") < both.index("cyclegan")
    onnx_only = meta(["generator_a2b.onnx"], onnx_only=True)["tags"]
    assert "onnx" in onnx_only and "keras" not in onnx_only
    # no licence recorded (film frames, or a folder from before the option): non-commercial, with the reason
    assert meta()["license"] == "cc-by-nc-4.0"
    assert "hence the CC BY-NC 4.0 license" in str(model_card.render(config))
    synthetic = {**training, "weights_license": "mit", "data_source": "synthetic scenes"}
    card = str(model_card.render({**config, "training": synthetic}))
    assert metadata(card)["license"] == "mit" and "copyrighted" not in card
    assert "(synthetic scenes); the weights are under the `mit` license." in card
    # a teacher on the Hub is the base model; a local one is not named
    assert "base_model" not in meta(training={**training, "teacher": "runs/teacher/model"})
    assert meta(training={**training, "teacher": "me/teacher@v1", "teacher_repo": "me/teacher"})[
        "base_model"] == "me/teacher"
    # links and the install line come from [project.urls] when it is set, and are left out when not
    monkeypatch.setattr(model_card, "project_links", lambda: {})
    card = str(model_card.render(config))
    assert "pip install . in a checkout" in card.replace("`", "") and "git+" not in card and "<http" not in card
    monkeypatch.setattr(model_card, "project_links", lambda: {"Repository": "https://example.org/anim/style",
                                                             "Documentation": "https://example.org/docs"})
    card = str(model_card.render(config))
    assert 'pip install "animation-style @ git+https://example.org/anim/style"' in card
    assert "Repository: <https://example.org/anim/style> · Documentation: <https://example.org/docs>" in card
    # model-index keeps 4 significant digits, however small the figure
    assert model_card.significant(0.000213456) == 0.0002135 and model_card.significant(25.30319) == 25.3


@needs_onnx
@pytest.mark.slow
def test_a_folder_saved_on_jax_gets_its_onnx_export_later(tmp_path, capsys):
    # The JAX backend has no tf2onnx export: its folders hold .keras files only until
    # `python -m hub onnx` exports them where TensorFlow is installed.
    root = Path(__file__).parents[1]
    save = ("import sys; from tests.helpers import tiny_models; "
            "tiny_models.cyclegan().save_pretrained(sys.argv[1])")
    saved = subprocess.run([sys.executable, "-c", save, str(tmp_path / "jax")], capture_output=True, text=True,
                           cwd=root, env={**os.environ, "KERAS_BACKEND": "jax"}, timeout=300)
    assert saved.returncode == 0, saved.stderr[-2000:]
    folder = tmp_path / "jax"
    assert json.loads((folder / "config.json").read_text())["onnx"] == {} and not list(folder.glob("*.onnx"))

    def hub_onnx():  # `python -m hub onnx FOLDER`, in this process (TensorFlow is started here already)
        from hub.__main__ import main

        main(["onnx", str(folder)])
        return capsys.readouterr().out

    assert "exported generator_a2b.onnx, generator_b2a.onnx" in hub_onnx()
    assert "already has a current ONNX export" in hub_onnx()
    keras_run, onnx_run = (CycleGAN.from_pretrained(folder, runtime=r) for r in ("keras", "onnx"))
    x = np.random.default_rng(3).uniform(-1, 1, (2, 32, 64, 3)).astype(np.float32)
    np.testing.assert_allclose(onnx_run.generators["b2a"].predict_on_batch(x),
                               keras_run.generators["b2a"].predict_on_batch(x), atol=1e-3)
    assert "generator_a2b.onnx" in (folder / "README.md").read_text()  # the card lists the exports

    store_float16(folder)  # converts the exports; removing them and re-exporting gives float16 ones too
    config = json.loads((folder / "config.json").read_text())
    for name in config["onnx"]:
        (folder / name).unlink()
    hub_onnx()
    for name in json.loads((folder / "config.json").read_text())["onnx"]:
        assert onnx.TensorProto.FLOAT not in {t.data_type for t in onnx.load(folder / name).graph.initializer}
    np.testing.assert_allclose(CycleGAN.from_pretrained(folder, runtime="onnx").generators["a2b"].predict_on_batch(x),
                               CycleGAN.from_pretrained(folder, runtime="keras").generators["a2b"].predict_on_batch(x),
                               atol=1e-3)


@needs_onnx
def test_an_onnx_only_folder_serves_without_its_keras_files(cyclegan_folder, tmp_path):
    folder = copy(cyclegan_folder, tmp_path)
    original = CycleGAN.from_pretrained(folder, runtime="keras")
    result = subprocess.run([sys.executable, "-m", "hub", "float16", "--onnx-only", str(folder)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "config.json", "generator_a2b.onnx",
                                                        "generator_b2a.onnx"]
    card = (folder / "README.md").read_text()
    assert "ONNX exports only" in card and "keras.saving.load_model" not in card
    x = images()
    diff = np.abs(CycleGAN.from_pretrained(folder).translate_array(x).astype(int) - original.translate_array(x))
    assert diff.max() <= 2
    with pytest.raises(ModelFolderError, match="missing generator_a2b.keras"):
        CycleGAN.from_pretrained(folder, runtime="keras")
    store_float16(folder, onnx_only=True)  # again, as on the demo folder: nothing left to convert, nothing lost
    assert json.loads((folder / "config.json").read_text())["onnx"].keys() == {"generator_a2b.onnx",
                                                                             "generator_b2a.onnx"}
    assert CycleGAN.from_pretrained(folder).translate_array(x).shape == x.shape
    no_export = copy(cyclegan_folder, tmp_path / "other")
    (no_export / "generator_b2a.onnx").unlink()
    with pytest.raises(ModelFolderError, match="generator_b2a.keras have no current ONNX export to keep"):
        store_float16(no_export, onnx_only=True)
    assert (no_export / "generator_b2a.keras").is_file()


def folder_bytes(folder):
    return {p.name: p.read_bytes() for p in sorted(Path(folder).iterdir())}


@pytest.mark.parametrize("demo", ["cyclegan-toyworld-light", "caae-toyworld"])
def test_a_model_loaded_from_onnx_saves_into_its_own_folder_and_loads_again(demo, tmp_path):
    # Each demo folder is ONNX-only: saving what was loaded from it once destroyed it.
    from space.models import DEMO_FOLDER
    folder = shutil.copytree(DEMO_FOLDER / demo, tmp_path / demo)
    cls = CAAE if demo.startswith("caae") else CycleGAN
    model = cls.from_pretrained(folder)
    assert all(isinstance(net, onnx_runtime.OnnxNetwork) for net in model.networks().values())
    before = folder_bytes(folder)
    model.save_pretrained(folder)
    after = folder_bytes(folder)
    assert {name: after[name] for name in after if name.endswith(".onnx")} == \
        {name: before[name] for name in before if name.endswith(".onnx")}
    again = cls.from_pretrained(folder)
    assert json.loads(after["config.json"])["onnx"] == json.loads(before["config.json"])["onnx"]
    x = images(1, 64, 64)
    if cls is CycleGAN:
        np.testing.assert_array_equal(again.translate_array(x), model.translate_array(x))
    else:
        np.testing.assert_array_equal(np.asarray(again.restyle(x[0], again.styles[0])),
                                      np.asarray(model.restyle(x[0], model.styles[0])))
    model.save_pretrained(tmp_path / "elsewhere")  # and into a new folder, which serves the same
    assert sorted(folder_bytes(tmp_path / "elsewhere")) == sorted(after)


@needs_onnx
def test_an_onnx_loaded_model_saves_its_keras_files_too_where_they_are_beside(cyclegan_folder, tmp_path):
    model = CycleGAN.from_pretrained(cyclegan_folder)
    model.save_pretrained(tmp_path / "saved")
    assert folder_bytes(tmp_path / "saved")["generator_a2b.keras"] == (cyclegan_folder / "generator_a2b.keras").read_bytes()
    assert not json.loads((tmp_path / "saved" / "config.json").read_text()).get("onnx_only")
    assert isinstance(CycleGAN.from_pretrained(tmp_path / "saved", runtime="keras").generators["a2b"], keras.Model)


def test_a_failed_save_leaves_the_folder_exactly_as_it_was(cyclegan_folder, tmp_path):
    folder = copy(cyclegan_folder, tmp_path)
    before = folder_bytes(folder)
    model = CycleGAN.from_pretrained(folder, runtime="keras")

    def broken_save(path):
        Path(path).write_bytes(b"half a file")
        raise OSError("No space left on device")
    model.generators["b2a"].save = broken_save
    with pytest.raises(OSError, match="No space left"):
        model.save_pretrained(folder)
    assert folder_bytes(folder) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy"]  # no staging folder left behind


@needs_onnx
@pytest.mark.slow
def test_the_export_of_a_10m_parameter_unet_stays_within_1_6_gb(tmp_path):
    # tf2onnx in the trainer's own process kept a copy of the weights per optimiser pass
    # (2.9 GB for this network, 18 GB for the seed's); bench.onnx_export_memory measures it
    # in a fresh process, as here, and the export's child beside it.
    run = subprocess.run([sys.executable, "-m", "bench.onnx_export_memory", "--measure", "child", "--size", "128",
                          "--base-filters", "32", "--folder", str(tmp_path)], capture_output=True, text=True,
                         timeout=300, cwd=Path(__file__).resolve().parents[1])
    assert run.returncode == 0, run.stderr[-2000:]
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    assert figures["params"] > 10_000_000 and figures["max_error"] < 1e-4
    assert figures["process_mb"] < 1600 and 0 < figures["child_mb"] < 1600, figures
