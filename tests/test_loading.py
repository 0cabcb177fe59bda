import logging
import shutil

import numpy as np
import pytest

from trainer.data import arrays, domains, loading
from trainer.data.manifest import parse_filter, read_manifest, write_manifest


def test_parse_filter():
    assert parse_filter("medium=3d,split=train") == (("medium", "3d"), ("split", "train"))
    assert parse_filter("pixar") == (("domain", "pixar"),)  # a bare name is a domain (a folder's)
    for bad in ("pixar,split=train", "medium=", "=3d"):
        with pytest.raises(ValueError, match="TAG=VALUE"):
            parse_filter(bad)


def test_element_order_is_a_permutation_per_pass_and_resumable():
    full = domains.element_order(7, seed=1, domain=0, first=0, count=21)
    for p in range(3):
        assert sorted(full[7 * p:7 * (p + 1)]) == list(range(7))
    assert not np.array_equal(full[:7], full[7:14])  # reshuffled each pass
    np.testing.assert_array_equal(domains.element_order(7, 1, 0, first=9, count=5), full[9:14])
    assert not np.array_equal(full, domains.element_order(7, 1, 1, 0, 21))  # domains independent


def test_dataset_from_a_later_step_equals_the_tail(toyworld_64):
    paths_a = domains.domain_paths(toyworld_64, parse_filter("medium=3d"))
    paths_b = domains.domain_paths(toyworld_64, parse_filter("medium=2d"))
    full = list(loading.unpaired_dataset(paths_a, paths_b, 32, 2, seed=5, first_step=0, steps=6).take(6))
    tail = list(loading.unpaired_dataset(paths_a, paths_b, 32, 2, seed=5, first_step=4, steps=2).take(2))
    for (fa, fb), (ta, tb) in zip(full[4:], tail):
        np.testing.assert_array_equal(fa.numpy(), ta.numpy())
        np.testing.assert_array_equal(fb.numpy(), tb.numpy())
    a, b = full[0]
    assert a.shape == (2, 32, 32, 3) and b.shape == (2, 32, 32, 3)
    assert a.dtype == b.dtype == "uint8"  # jittered on the device, in the trainer


def test_the_arrays_pipeline_gives_the_tfdata_batches(toyworld_64):
    paths_a = domains.domain_paths(toyworld_64, parse_filter("medium=3d"))
    paths_b = domains.domain_paths(toyworld_64, parse_filter("medium=2d"))
    from_tfdata = list(loading.unpaired_dataset(paths_a, paths_b, 32, 2, seed=5, first_step=1, steps=3).take(3))
    batches = arrays.Batches([(arrays.decode_all(paths_a, 32),), (arrays.decode_all(paths_b, 32),)], 2,
                             seed=5, first_step=1, steps=3)
    assert len(batches) == 3
    for i, expected in enumerate(from_tfdata):
        for got, want in zip(batches[i], expected):
            assert got.dtype == np.uint8 and got.shape == (2, 32, 32, 3)
            # The same images in the same order; Pillow and TF resize a little differently.
            assert np.abs(got.astype(int) - want.numpy().astype(int)).mean() < 2.0


def test_the_arrays_pipeline_skips_broken_files_and_refuses_too_much(toyworld_64, tmp_path, caplog, monkeypatch):
    paths = domains.domain_paths(toyworld_64, parse_filter("medium=3d"))[:3]
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(open(paths[0], "rb").read()[:200])
    with caplog.at_level(logging.WARNING):
        images = arrays.decode_all(paths + [str(broken)], 32)
    assert images.shape == (3, 32, 32, 3)
    assert any("broken.jpg" in r.message for r in caplog.records)
    monkeypatch.setattr(arrays, "_memory_bytes", lambda: 10_000)
    with pytest.raises(ValueError, match="--input-pipeline tfdata"):
        arrays.decode_all(paths, 32)


def test_preprocessing_centre_crops_non_square_images(tmp_path):
    from PIL import Image

    image = np.zeros((40, 80, 3), np.uint8)
    image[:, :20] = 255  # a white band that the centre crop must cut away
    Image.fromarray(image).save(tmp_path / "wide.png")
    out = loading.decode_square(str(tmp_path / "wide.png"), 16).numpy()
    assert out.shape == (16, 16, 3)
    assert float(out.max()) == pytest.approx(-1.0)


def _copy_dataset(src, dst):
    shutil.copytree(src, dst)
    return dst


def test_bad_images_are_skipped_with_one_warning_each(toyworld_64, tmp_path, caplog):
    data = _copy_dataset(toyworld_64, tmp_path / "data")
    rows = read_manifest(data)
    a_rows = [r for r in rows if r["medium"] == "3d" and r["split"] == "train"]
    (data / a_rows[0]["path"]).write_bytes(b"<html>not an image</html>")
    truncated = (data / a_rows[1]["path"]).read_bytes()
    (data / a_rows[1]["path"]).write_bytes(truncated[: len(truncated) // 3])
    (data / a_rows[2]["path"]).unlink()
    with caplog.at_level(logging.WARNING):
        paths = domains.domain_paths(data, parse_filter("medium=3d"))
    assert len(paths) == len(a_rows) - 3
    warnings = [r for r in caplog.records if "skipping unreadable image" in r.message]
    assert len(warnings) == 3
    assert {a_rows[i]["path"].split("/")[-1] for i in range(3)} == {
        w.args[0].split("/")[-1] for w in warnings}


def test_empty_domain_is_a_clear_error(toyworld_64):
    with pytest.raises(ValueError, match="no train images.*tags present: medium: 2d, 3d"):
        domains.domain_paths(toyworld_64, parse_filter("medium=4d"))


def test_domain_with_only_broken_images_is_an_error(tmp_path):
    (tmp_path / "x.jpg").write_bytes(b"garbage")
    write_manifest(tmp_path, [{"path": "x.jpg", "movie": "m", "studio": "s", "medium": "3d",
                               "frame": 0, "split": "train"}])
    with pytest.raises(ValueError, match="none of its 1 images"):
        domains.domain_paths(tmp_path, parse_filter("medium=3d"))


def test_malformed_manifest_names_the_line(tmp_path):
    (tmp_path / "manifest.jsonl").write_text('{"path": "a.jpg"}\n')
    with pytest.raises(ValueError, match="manifest.jsonl: row 1: missing keys"):
        read_manifest(tmp_path)
    with pytest.raises(FileNotFoundError, match="toyworld"):
        read_manifest(tmp_path / "nowhere")
