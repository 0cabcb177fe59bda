"""`prepare`, `clips` and `stats` on frames fetched from the fake site: sizes, tags, the
block split, the filters, incremental re-runs, clips as folders and MP4s, contact sheets."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.helpers.fake_screencaps import FakeScreencaps, frame_jpeg
from tests.helpers.media import probe
from trainer.data import clips, fetch, movies, prepare, stats
from trainer.data.manifest import read_manifest

ROOT = Path(__file__).resolve().parents[1]
FAST = dict(workers=4, rate=0, timeout=2.0, backoff=0.05, progress=False)


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    """data/raw with two fetched movies of 60 frames; luca's frame 0 is black and its
    frame 10 repeats frame 9."""
    folder = tmp_path_factory.mktemp("raw")
    for name in ["luca", "ponyo"]:
        picture = (lambda f: frame_jpeg(9 if f == 10 else f)) if name == "luca" else (lambda f: frame_jpeg(f + 100))
        with FakeScreencaps(slug=name, frames=range(0, 60), per_page=25, picture=picture) as site:
            summary = fetch.fetch(site.gallery, folder / name, movies.KNOWN_MOVIES[name], **FAST)
            assert summary.downloaded == 60
    return folder


def prepare_into(raw, out, **options):
    return prepare.prepare(raw, out, **{"size": 32, "block": 10, "gap": 3, "test_fraction": 0.2,
                                        "workers": 2, "progress": False, **options})


def test_prepared_images_have_the_size_and_the_tags(raw, tmp_path):
    summary = prepare_into(raw, tmp_path)
    rows = read_manifest(tmp_path)
    assert {(r["movie"], r["studio"], r["medium"]) for r in rows} == {("luca", "pixar", "3d"), ("ponyo", "ghibli", "2d")}
    for row in rows:
        with Image.open(tmp_path / row["path"]) as image:
            assert image.size == (32, 32) and image.mode == "RGB"
    assert summary.prepared == 120 and summary.reused == 0
    assert "luca: " in summary.report()


def test_the_split_is_by_blocks_and_no_test_frame_is_near_a_train_frame(raw, tmp_path):
    prepare_into(raw, tmp_path)
    for movie in ["luca", "ponyo"]:
        rows = [r for r in read_manifest(tmp_path) if r["movie"] == movie]
        test = [r["frame"] for r in rows if r["split"] == "test"]
        train = [r["frame"] for r in rows if r["split"] == "train"]
        assert test == list(range(40, 50))  # blocks of 10, every 5th block is test
        assert min(abs(t - f) for t in test for f in train) > 3  # the gap
        assert len(train) == 60 - 10 - 6  # 3 frames each side of the test block left out


def test_a_gallery_shorter_than_one_cycle_of_blocks_still_gets_a_test_split(raw, tmp_path):
    # 60 frames, blocks of 200 with one in 10 a test block: no test block at all unscaled
    summary = prepare_into(raw, tmp_path, block=200, test_fraction=0.1)
    for movie in ["luca", "ponyo"]:
        rows = [r for r in read_manifest(tmp_path) if r["movie"] == movie]
        test = [r["frame"] for r in rows if r["split"] == "test"]
        train = [r["frame"] for r in rows if r["split"] == "train"]
        assert test == [27, 28, 29, 57, 58, 59]  # two blocks of 3: 10% of the frames
        assert min(abs(t - f) for t in test for f in train) > 3  # the gap kept
        assert (f"note: {movie}: 60 frames, too few to hold a test block of --block 200; split in blocks of 3 "
                "frames instead") in summary.report()


def test_blank_and_repeated_frames_can_be_left_out(raw, tmp_path):
    summary = prepare_into(raw, tmp_path, drop_blank=True, drop_duplicates=True)
    luca = {r["frame"] for r in read_manifest(tmp_path) if r["movie"] == "luca"}
    assert 0 not in luca and 10 not in luca and 9 in luca
    assert (summary.blank, summary.duplicates) == (1, 1)
    assert not (tmp_path / "images" / "luca" / "000000.jpg").exists()
    assert "1 blank, 1 near duplicates" in summary.report()


def test_a_rerun_is_incremental(raw, tmp_path):
    prepare_into(raw, tmp_path)
    again = prepare_into(raw, tmp_path)
    assert (again.prepared, again.reused) == (0, 120)
    source = raw / "ponyo" / "000005.jpg"
    later = source.stat().st_mtime + 10
    os.utime(source, (later, later))  # a re-fetched frame
    assert prepare_into(raw, tmp_path).prepared == 1
    assert prepare_into(raw, tmp_path, size=16).prepared == 120  # other settings: everything again
    (tmp_path / prepare.SETTINGS).unlink()  # as after a run killed before its end
    assert prepare_into(raw, tmp_path, size=16).prepared == 120


def test_pad_keeps_the_whole_frame(raw, tmp_path):
    prepare_into(raw, tmp_path, fit="pad")
    picture = np.asarray(Image.open(tmp_path / "images" / "ponyo" / "000003.jpg"))
    assert picture[:5].max() < 20 and picture[-5:].max() < 20  # black bars above and below the 64 x 36 frame
    assert picture[14:18].std() > 20


def test_the_command_line(raw, tmp_path):
    result = subprocess.run([sys.executable, "-m", "trainer.data", "prepare", str(raw), "--out", str(tmp_path),
                             "--size", "32", "--workers", "2"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "120 frames prepared, 0 reused" in result.stdout
    missing = subprocess.run([sys.executable, "-m", "trainer.data", "prepare", str(tmp_path / "nothing"), "--out",
                              str(tmp_path / "x")], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert missing.returncode == 1 and "no movie folders with a fetch.jsonl" in missing.stderr


def test_runs_and_windows_never_cross_a_missing_frame():
    assert clips.runs([1, 2, 3, 5, 6]) == [[1, 2, 3], [5, 6]]
    assert clips.windows([1, 2, 3, 5, 6, 7, 8], 2, None) == [[1, 2], [5, 6], [7, 8]]
    assert clips.windows(list(range(100)), 10, 3) == [list(range(0, 10)), list(range(40, 50)), list(range(90, 100))]


def test_clips_of_test_frames_as_folders_and_mp4s(raw, tmp_path):
    prepared = tmp_path / "prepared"
    prepare_into(raw, prepared)
    records = clips.make_clips(prepared, tmp_path / "clips", length=5, fps=2)
    assert [r["clip"] for r in records] == ["luca-000040", "luca-000045", "ponyo-000040", "ponyo-000045"]
    folder = tmp_path / "clips" / "luca-000045"
    assert sorted(p.name for p in folder.iterdir()) == [f"{i:03d}.jpg" for i in range(5)]
    assert (folder / "002.jpg").read_bytes() == (prepared / "images" / "luca" / "000047.jpg").read_bytes()
    video = probe(tmp_path / "clips" / "luca-000045.mp4")
    assert (video.frames, video.rate, video.width, video.streams) == (5, 2, 32, [("video", "h264")])
    assert len((tmp_path / "clips" / clips.RECORD).read_text().splitlines()) == 4
    with pytest.raises(ValueError, match="no run of 11 consecutive test frames"):
        clips.make_clips(prepared, tmp_path / "none", length=11)


def test_stats_count_the_tags_and_draw_a_contact_sheet_per_movie(raw, tmp_path):
    prepare_into(raw, tmp_path)
    text = stats.report(tmp_path, sheet_frames=12)
    assert "108 images" in text and "medium: 2d 54, 3d 54" in text and "split: test 20, train 88" in text
    assert "luca: test 10, train 44" in text
    sheet = Image.open(tmp_path / "stats" / "luca.jpg")
    assert sheet.size == (6 * 128 + 5 * 2, 2 * 128 + 2)  # 12 frames, 6 a row
