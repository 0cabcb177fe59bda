"""Reading and writing a model folder, locally or from the Hub, shared by the model
classes. A folder holds:
- one .keras file per network (Keras 3 format, loaded in safe mode: no lambdas, no pickle);
- the same networks as .onnx, when tf2onnx was there to export them;
- config.json: architecture, sizes, domains or labels, training summary, evaluation,
  and `format_version`;
- samples.png (optional) and the README.md model card rendered from config.json.
Every file is written atomically.
"""

import io
import json
import logging
import os
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from huggingface_hub import snapshot_download
from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError, OfflineModeIsEnabled

from hub import config_check, model_card, onnx_runtime
from hub.atomic import atomic_path, write_json
from hub.errors import ModelFolderError
from hub.imaging import read_image, save_png

log = logging.getLogger(__name__)
CONFIG_NAME, CARD_NAME, SAMPLES_NAME = "config.json", "README.md", "samples.png"
FORMAT_VERSION = 1  # raise when a folder written by this version would mislead an older reader
RUNTIMES = ("auto", "keras", "onnx")
MAX_CONFIG_BYTES = 4 * 2**20  # config.json, in a folder or a .keras file


def save(save_directory, networks, config, samples=None, onnx=True):
    """networks: {filename.keras: keras.Model}; samples: a uint8 image or None; onnx: False
    to write no ONNX exports. -> the config as written. The card is not written here:
    ModelHubMixin.save_pretrained renders it next (HubModel.generate_model_card), so an
    older one is removed."""
    folder = Path(save_directory)
    (folder / CARD_NAME).unlink(missing_ok=True)
    records = {}
    for filename, net in networks.items():
        if isinstance(net, onnx_runtime.OnnxNetwork):  # loaded from its export: copy the files it came from
            records.update(_copy_export(folder, filename, net, config))
            continue
        with atomic_path(folder / filename) as tmp:
            net.save(tmp)
        if onnx:
            records.update(_export_onnx(folder, filename, net, config["image_size"]))
    if not onnx:
        log.info("no ONNX export for %s, as asked (python -m hub onnx FOLDER adds it)", folder)
    elif not onnx_runtime.can_export():
        log.info("no ONNX export for %s: it needs TensorFlow and tf2onnx (python -m hub onnx FOLDER adds it "
                 "later, where they are installed)", folder)
    if samples is not None:
        save_png(samples, folder / SAMPLES_NAME)
    config = {**config, "format_version": FORMAT_VERSION, "onnx": records}
    if any(not (folder / filename).is_file() for filename in networks):
        config["onnx_only"] = True  # an ONNX-loaded network whose .keras file was not there to copy
    write_json(folder / CONFIG_NAME, config)
    return config


def _copy_export(folder, filename, net, config):
    """The ONNX file an OnnxNetwork runs, copied into `folder` with its .keras file where
    that is beside it and is the one the export was made from. -> its config.json record.
    Raises ModelFolderError where the file has gone or changed since it was loaded."""
    onnx_name = _onnx_name(filename)
    record = (config.get("onnx") or {}).get(onnx_name)
    source = Path(net.path)
    if record is None or not source.is_file() or onnx_runtime.file_sha256(source) != record.get("onnx_sha256"):
        raise ModelFolderError(f"{onnx_name} has gone or changed since the model was loaded, so it cannot be "
                               f"saved: load the model again (runtime='keras' to save its Keras weights)")
    copies = [(source, onnx_name)]
    keras_source = source.with_name(filename)
    if keras_source.is_file() and onnx_runtime.file_sha256(keras_source) == record.get("keras_sha256"):
        copies.append((keras_source, filename))
    for source_file, name in copies:
        if source_file.resolve() != (folder / name).resolve():
            with atomic_path(folder / name) as tmp:
                shutil.copyfile(source_file, tmp)
    return {onnx_name: record}


def swap_in(staging, folder, network_files):
    """Move a complete save from `staging` into `folder`: every file renamed over its old
    version, config.json (which records the others' hashes) last; then the files of the
    old model (network_files: .keras names) that the new save did not write are removed."""
    folder.mkdir(parents=True, exist_ok=True)
    written = sorted((path.name for path in Path(staging).iterdir()), key=lambda name: name == CONFIG_NAME)
    for name in written:
        os.replace(Path(staging) / name, folder / name)
    owned = {CONFIG_NAME, CARD_NAME, SAMPLES_NAME, *network_files, *(_onnx_name(f) for f in network_files)}
    for name in owned - set(written):
        (folder / name).unlink(missing_ok=True)


def _export_onnx(folder, filename, net, image_size, float16=False):
    """Export `net` beside its .keras file and return its config.json record, {} when the
    export is not possible or fails (the folder keeps its Keras file, which runs)."""
    if not onnx_runtime.can_export():
        return {}
    onnx_name = _onnx_name(filename)
    try:
        with atomic_path(folder / onnx_name) as tmp:
            onnx_runtime.export(net, tmp, image_size, keras_file=folder / filename)
            if float16:
                onnx_runtime.float16_weights(tmp, tmp)
    except Exception as e:  # noqa: BLE001 - the export is optional; never lose the weights to it
        log.warning("ONNX export of %s failed, so the folder has its Keras file only (which "
                    "from_pretrained runs): %s: %s", filename, type(e).__name__, str(e).splitlines()[0])
        return {}
    return {onnx_name: {"keras_file": filename, "keras_sha256": onnx_runtime.file_sha256(folder / filename),
                        "onnx_sha256": onnx_runtime.file_sha256(folder / onnx_name)}}


def missing_onnx(folder):
    """The .keras files of a model folder without a current ONNX export."""
    folder = Path(folder)
    records = read_config(folder, str(folder)).get("onnx", {})
    return [f.name for f in sorted(folder.glob("*.keras"))
            if _onnx_problem(folder, f.name, _onnx_name(f.name), records.get(_onnx_name(f.name)))]


def add_onnx(folder):
    """Give every network of a model folder that lacks a current ONNX export one (a folder
    trained on JAX, or saved where tf2onnx was missing); float16 weights stay float16.
    -> the names exported. Raises ModelFolderError where the export is not possible."""
    if not onnx_runtime.can_export():
        raise ModelFolderError("exporting ONNX needs the TensorFlow backend and tf2onnx: "
                               "pip install 'animation-style[train]' and KERAS_BACKEND=tensorflow")
    import keras

    from hub import caae_nets, nets  # noqa: F401 - registers the custom layers the networks use

    folder = Path(folder)
    config = read_config(folder, str(folder))
    records, exported = dict(config.get("onnx", {})), []
    for filename in missing_onnx(folder):
        net = keras.saving.load_model(folder / filename, compile=False, safe_mode=True)
        record = _export_onnx(folder, filename, net, config["image_size"],
                              float16=config.get("weights_dtype") == "float16")
        if not record:
            raise ModelFolderError(f"{folder}: the ONNX export of {filename} failed (see the log)")
        records.update(record)
        exported.append(_onnx_name(filename))
    config = {**config, "onnx": records}
    write_json(folder / CONFIG_NAME, config)
    write_card(folder, config)
    return exported


def store_float16(folder, onnx_only=False):
    """Rewrite every network's weights in a model folder as float16: half the bytes, for
    a smaller download or a folder kept in git. Keras casts them back to float32 as it
    loads, and so does ONNX Runtime (outputs move by about 1e-3 in [-1, 1]). The ONNX
    exports get the same float16 weights and new records; a folder whose exports cannot be
    converted (no `onnx` package) loses them rather than keep stale ones. onnx_only: then
    delete the .keras files, for a folder that only serves (half the bytes again; needs an
    export of every network)."""
    folder = Path(folder)
    config = read_config(folder, str(folder))
    missing = missing_onnx(folder) if onnx_only else []
    if missing:
        raise ModelFolderError(f"{folder}: {', '.join(missing)} have no current ONNX export to keep: "
                               f"run python -m hub onnx {folder} first")
    for keras_file in sorted(folder.glob("*.keras")):
        with atomic_path(keras_file) as tmp:
            _float16_keras_file(keras_file, tmp)
    onnx = {}
    for onnx_name, record in config.get("onnx", {}).items():
        try:
            with atomic_path(folder / onnx_name) as tmp:
                onnx_runtime.float16_weights(folder / onnx_name, tmp)
        except Exception as e:  # noqa: BLE001 - onnx raises its own untyped errors
            log.warning("%s could not be stored as float16 (%s: %s), so it is removed", onnx_name,
                        type(e).__name__, str(e).splitlines()[0] if str(e) else "")
            (folder / onnx_name).unlink(missing_ok=True)
            continue
        keras_file = folder / record["keras_file"]  # gone from an ONNX-only folder: its record stands
        keras_sha256 = onnx_runtime.file_sha256(keras_file) if keras_file.is_file() else record["keras_sha256"]
        onnx[onnx_name] = {**record, "keras_sha256": keras_sha256,
                           "onnx_sha256": onnx_runtime.file_sha256(folder / onnx_name)}
    config = {**config, "onnx": onnx, "weights_dtype": "float16"}
    if onnx_only:
        if len(onnx) < len(list(folder.glob("*.keras"))):
            raise ModelFolderError(f"{folder}: an ONNX export could not be converted (see the log); the .keras "
                                   "files are kept")
        config["onnx_only"] = True  # written before the .keras files go: a kill in between leaves both
        write_json(folder / CONFIG_NAME, config)
        for keras_file in folder.glob("*.keras"):
            keras_file.unlink()
    write_json(folder / CONFIG_NAME, config)
    write_card(folder, config)


def _float16_keras_file(source, destination):
    """A .keras file is a zip of config.json, metadata.json and model.weights.h5."""
    import h5py  # the keras extra's; not needed to run a folder
    with zipfile.ZipFile(source) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    weights = io.BytesIO()
    with h5py.File(io.BytesIO(members["model.weights.h5"]), "r") as old, h5py.File(weights, "w") as new:
        def copy(name, item):
            if isinstance(item, h5py.Dataset):
                data = item[()]
                new.create_dataset(name, data=data.astype(np.float16) if data.dtype == np.float32 else data)
            else:
                new.require_group(name)
            new[name].attrs.update(item.attrs)
        old.visititems(copy)
        new.attrs.update(old.attrs)
    members["model.weights.h5"] = weights.getvalue()
    with zipfile.ZipFile(destination, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def write_card(folder, config, repo_id="REPO_ID"):
    folder = Path(folder)
    card = model_card.render(config, repo_id, has_samples=(folder / SAMPLES_NAME).is_file(),
                             onnx_files=sorted(config.get("onnx", {})))
    with atomic_path(folder / CARD_NAME) as tmp:
        card.save(tmp)


def update_config(folder, **entries):
    """Add entries (e.g. evaluation=...) to a local folder's config.json and re-render its card."""
    folder = Path(folder)
    config = {**read_config(folder, str(folder)), **entries}
    write_json(folder / CONFIG_NAME, config)
    write_card(folder, config)
    return config


def read_config(folder, model_id):
    path = Path(folder) / CONFIG_NAME
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise ModelFolderError(f"{model_id} is not a model folder: no {CONFIG_NAME}") from None
    except OSError as e:  # a directory, unreadable
        raise ModelFolderError(f"{model_id}: {CONFIG_NAME} cannot be read ({e.strerror})") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ModelFolderError(f"{model_id}: {CONFIG_NAME} is over {MAX_CONFIG_BYTES // 2**20} MB; a model's "
                               f"config is a few KB")
    config = _parse_json(data, f"{model_id}: {CONFIG_NAME}")
    if not isinstance(config, dict):
        raise ModelFolderError(f"{model_id}: {CONFIG_NAME} must hold a JSON object, got {type(config).__name__}")
    version = config.get("format_version", 1)
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ModelFolderError(f"{model_id} was written by a newer version of this project (format "
                               f"{version}; this one reads up to {FORMAT_VERSION}): upgrade it to load the model")
    return config


def _parse_json(data, what):
    """JSON bytes (UTF-8) -> the value, or a ModelFolderError naming `what`."""
    try:
        return json.loads(data.decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ModelFolderError(f"{what} is not valid JSON in UTF-8 ({e})") from None
    except RecursionError:
        raise ModelFolderError(f"{what} is nested too deeply to be a model's config") from None


def _check_revision(revision):
    """A Hub revision is a branch, a tag, refs/pr/N or a commit hash: anything path-like
    (absolute, `..`, NUL, over 255 characters) could name a folder outside the Hub cache."""
    if revision is None:
        return
    parts = revision.replace("\\", "/").split("/") if isinstance(revision, str) else []
    if (not isinstance(revision, str) or not revision or len(revision) > 255 or revision.startswith(("/", "\\", "~"))
            or any(ord(c) < 32 or c == "\x7f" for c in revision) or any(p in ("", ".", "..") for p in parts)):
        raise ModelFolderError(f"{str(revision)[:80]!r} is not a revision: give a branch, a tag, refs/pr/N or a "
                               f"commit hash")


@dataclass
class Source:
    """Where a model folder comes from: a local folder, or a Hub repo id with
    huggingface_hub's download options."""
    model_id: str
    revision: str = None
    cache_dir: str = None
    force_download: bool = False
    local_files_only: bool = False
    token: str = None

    def fetch(self, patterns):
        """The folder, with at least the files matching `patterns` (file names or globs)
        when it is a Hub repo; later fetches stay at the commit the first one resolved."""
        name = self.model_id[:200] + ("..." if len(self.model_id) > 200 else "")
        folder = Path(self.model_id)
        try:
            if folder.is_dir():
                return folder
        except OSError:  # a name too long for a path: not a folder, and no repo id either
            pass
        _check_revision(self.revision)
        try:
            folder = Path(snapshot_download(repo_id=self.model_id, revision=self.revision, cache_dir=self.cache_dir,
                                            force_download=self.force_download, token=self.token,
                                            local_files_only=self.local_files_only, allow_patterns=list(patterns)))
        except (HfHubHTTPError, LocalEntryNotFoundError, OfflineModeIsEnabled, ValueError, OSError) as e:
            raise ModelFolderError(f"{name} is neither a local model folder nor a Hub repo that could "
                                   f"be downloaded: {str(e)[:300]}") from None
        if not folder.is_dir():
            raise ModelFolderError(f"{name}: the Hub cache gave no folder for revision {self.revision!r}")
        if self.revision is None and folder.parent.name == "snapshots":
            self.revision = folder.name  # the commit, so that every later file comes from it too
        return folder


def load(source, filenames, architecture, runtime="auto", providers=None):
    """source: a Source (or a model id). -> (config, {filename: network}, samples or None).
    A network is a keras.Model, or an OnnxNetwork when `runtime` is 'onnx', or 'auto' with
    onnxruntime installed and an export that matches the .keras file; `providers` are its
    ONNX Runtime execution providers (hub.onnx_runtime.OnnxNetwork). From the Hub, only
    the files that will run are downloaded: the .onnx files, or the .keras files."""
    if runtime not in RUNTIMES:
        raise ValueError(f"runtime must be one of {RUNTIMES}, got {runtime!r}")
    source = source if isinstance(source, Source) else Source(str(source))
    model_id = source.model_id
    folder = source.fetch([CONFIG_NAME, SAMPLES_NAME])
    config = read_config(folder, model_id)
    config_check.check(config, model_id, architecture)
    use_onnx = runtime != "keras" and onnx_runtime.can_run() and all(
        _onnx_name(f) in config.get("onnx", {}) for f in filenames)
    folder = source.fetch(onnx_files(filenames) if use_onnx else [CONFIG_NAME, SAMPLES_NAME, *filenames])
    networks = {f: _load_network(folder, f, config, model_id, runtime, source, providers) for f in filenames}
    samples = read_image(folder / SAMPLES_NAME) if (folder / SAMPLES_NAME).is_file() else None
    return config, networks, samples


def _onnx_name(filename):
    return Path(filename).with_suffix(".onnx").name


def onnx_files(filenames):
    """What a folder serving on ONNX Runtime needs for the networks `filenames` (.keras
    names): config.json, samples.png and their .onnx exports."""
    return [CONFIG_NAME, SAMPLES_NAME, *(_onnx_name(f) for f in filenames)]


def _load_network(folder, filename, config, model_id, runtime, source, providers=None):
    onnx_name = _onnx_name(filename)
    if runtime != "keras" and onnx_runtime.can_run():
        problem = _onnx_problem(folder, filename, onnx_name, config.get("onnx", {}).get(onnx_name))
        if problem and runtime == "onnx":
            raise ModelFolderError(f"{model_id}: no usable ONNX export of {filename}: {problem}")
        if not problem:
            try:
                return onnx_runtime.OnnxNetwork(folder / onnx_name, providers=providers)
            except Exception as e:  # noqa: BLE001 - onnxruntime raises its own untyped errors
                if runtime == "onnx":
                    raise ModelFolderError(f"{model_id}: {onnx_name} could not be loaded ({e})") from None
                log.warning("%s: %s could not be loaded (%s); using the Keras weights", model_id, onnx_name, e)
        elif (folder / onnx_name).is_file():
            log.warning("%s: %s is not used (%s); using the Keras weights", model_id, onnx_name, problem)
    elif runtime == "onnx":
        raise ModelFolderError(f"{model_id}: runtime='onnx' needs onnxruntime, which is not installed")
    if not (folder / filename).is_file():  # an ONNX export was refused: its .keras file is fetched now
        folder = source.fetch([filename])
    if not (folder / filename).is_file():
        raise ModelFolderError(f"{model_id} is not a complete model folder: missing {filename}")
    try:
        import keras

        from hub import caae_nets, nets  # noqa: F401 - registers the custom layers the networks use
    except ImportError as e:
        raise ModelFolderError(f"{model_id}: {filename} has no usable ONNX export, and running it needs Keras "
                               f"({e}): pip install 'animation-style[keras]'") from None
    _check_keras_archive(folder / filename, f"{model_id}: {filename}")
    try:
        return keras.saving.load_model(folder / filename, compile=False, safe_mode=True)
    except RecursionError:
        raise ModelFolderError(f"{model_id}: {filename} holds a config nested too deeply to load") from None
    except Exception as e:  # noqa: BLE001 - Keras raises what its parsers raise, on a file anyone could have made
        raise ModelFolderError(f"{model_id}: {filename} is not a loadable Keras model (corrupted or "
                               f"incomplete?): {type(e).__name__}: {str(e)[:300]}") from None


def _keras_bound(archive_bytes):
    """The most that a .keras archive of this many bytes may unpack to. Keras stores its
    members uncompressed; the factor leaves room for a re-zipped file of sparse weights."""
    return 10 * archive_bytes + 16 * 2**20


def _check_keras_archive(path, what):
    """Refuse a .keras file before Keras opens it where it is not a zip of config.json
    and model.weights.h5, or would unpack (its members, or the weights' datasets) to more
    than _keras_bound of its size: a zip bomb is refused by its headers."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = {info.filename: info for info in archive.infolist()}
            missing = {"config.json", "model.weights.h5"} - set(members)
            if missing:
                raise ModelFolderError(f"{what} is not a Keras 3 archive: it lacks {', '.join(sorted(missing))}")
            bound = _keras_bound(path.stat().st_size)
            unpacked = sum(info.file_size for info in members.values())
            if unpacked > bound or members["config.json"].file_size > MAX_CONFIG_BYTES:
                raise ModelFolderError(f"{what} would unpack to {unpacked:,} bytes from {path.stat().st_size:,}: "
                                       f"refused as a zip bomb")
            _parse_json(archive.read("config.json"), f"{what}'s config.json")
            with archive.open("model.weights.h5") as weights:
                stored = _h5_dataset_bytes(weights, what)
            if stored > bound:
                raise ModelFolderError(f"{what}: its weights declare {stored:,} bytes, over the {bound:,} that a "
                                       f"file of its size may hold: refused")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError, ValueError) as e:
        raise ModelFolderError(f"{what} is not a Keras 3 archive (a .keras file is a zip); it is corrupted, cut "
                               f"short or of another format ({type(e).__name__}: {str(e)[:200]})") from None


def _h5_dataset_bytes(fileobj, what):
    """The bytes the datasets of an HDF5 file declare, read from its headers only."""
    import h5py  # the keras extra's, as Keras itself is

    total = 0

    def add(_, item):
        nonlocal total
        if isinstance(item, h5py.Dataset):
            total += item.size * item.dtype.itemsize
    try:
        with h5py.File(fileobj, "r") as h5:
            h5.visititems(add)
    except RecursionError:
        raise ModelFolderError(f"{what}: its weights file is nested too deeply") from None
    return total


def _onnx_problem(folder, filename, onnx_name, record):
    """Why the ONNX export of `filename` must not run, or None: it runs only when both
    files are the ones its config.json record was written for. A Hub download that
    fetched the .onnx alone checks that file only."""
    if record is None or not (folder / onnx_name).is_file():
        return "no export recorded in config.json" if record is None else f"{onnx_name} is missing"
    if "onnx_sha256" not in record:
        return f"the record of {onnx_name} has no onnx_sha256 (an older folder): re-save it to check the export"
    if record["onnx_sha256"] != onnx_runtime.file_sha256(folder / onnx_name):
        return f"{onnx_name} is not the file that was exported (its sha256 differs from the record)"
    if (folder / filename).is_file() and record.get("keras_sha256") != onnx_runtime.file_sha256(folder / filename):
        return f"{onnx_name} is stale: {filename} has changed since the export"
    return None
