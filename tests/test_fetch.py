"""The screencaps fetcher against tests/helpers/fake_screencaps.py on 127.0.0.1: crawling the
pager, faults on the way, robots.txt, and a kill followed by a re-run."""

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers.fake_screencaps import FakeScreencaps, frame_jpeg
from trainer.data import fetch, movies

ROOT = Path(__file__).resolve().parents[1]
LUCA = movies.KNOWN_MOVIES["luca"]
FAST = dict(workers=4, rate=0, timeout=1.0, backoff=0.05, progress=False)  # no politeness needed on loopback


def test_full_size_urls_and_frame_numbers():
    thumb = "https://i0.wp.com/img.screencaps.us/202/1-luca/full/luca-animationscreencaps.com-1234.jpg?ssl=1&w=200&strip=all"
    assert fetch.full_size_url(thumb) == thumb.split("&w=")[0]
    assert fetch.full_size_url("https://i0.wp.com/a/b-7.jpg?w=200&strip=all") == "https://i0.wp.com/a/b-7.jpg"
    assert fetch.frame_number(thumb) == 1234


def test_known_movies_and_overrides():
    movie, url = movies.resolve("luca")
    assert (movie.studio, movie.medium, url) == ("pixar", "3d", "https://animationscreencaps.com/luca/")
    movie, url = movies.resolve("ponyo", "http://mirror/ponyo/", medium="2d")
    assert (movie.studio, url) == ("ghibli", "http://mirror/ponyo/")
    with pytest.raises(ValueError, match="unknown movie 'cars'"):
        movies.resolve("cars")


def test_crawl_follows_the_pager_and_keeps_only_gallery_thumbnails():
    with FakeScreencaps(frames=range(1, 26), per_page=10) as site:
        frames = fetch.crawl(fetch.Client(rate=0, timeout=2), site.gallery)
        assert [f for f, _ in frames] == list(range(1, 26))  # 3 pages, the sidebar's logo left out
        assert all("w=200" not in url and "strip" not in url for _, url in frames)
        assert fetch.crawl(fetch.Client(rate=0, timeout=2), site.gallery, max_images=12)[-1][0] == 12


def test_every_frame_arrives_intact_through_the_faults(tmp_path):
    with FakeScreencaps(frames=range(1, 26), per_page=10) as site:
        site.faults[site.page_path(2)] = ["500"]  # a gallery page that fails once
        site.faults[site.image_path(3)] = ["500", "500"]
        site.faults[site.image_path(4)] = ["429"]  # Retry-After: 1
        site.faults[site.image_path(5)] = ["slow"]  # past the 1 s timeout
        site.faults[site.image_path(6)] = ["truncated", "truncated"]
        site.faults[site.image_path(7)] = ["html"]  # an error page with status 200
        site.faults[site.image_path(8)] = ["503"]
        summary = fetch.fetch(site.gallery, tmp_path, LUCA, **FAST)
        assert (summary.listed, summary.downloaded, summary.present, summary.failed) == (25, 25, 0, {})
        for frame in range(1, 26):
            assert (tmp_path / f"{frame:06d}.jpg").read_bytes() == frame_jpeg(frame)
        tries = {frame: site.requests[site.image_path(frame)] for frame in range(3, 9)}
        assert tries == {3: 3, 4: 2, 5: 2, 6: 3, 7: 2, 8: 2}  # each fault cost one more request, no more
        assert site.requests[site.page_path(2)] == 2
    records = fetch.read_records(tmp_path)
    assert sorted(records) == list(range(1, 26))
    assert records[6]["sha256"] == hashlib.sha256(frame_jpeg(6)).hexdigest()
    assert {(r["movie"], r["studio"], r["medium"]) for r in records.values()} == {("luca", "pixar", "3d")}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporaries left


def test_a_frame_that_stays_broken_is_reported_not_kept(tmp_path):
    with FakeScreencaps(frames=range(1, 6), per_page=10) as site:
        site.faults[site.image_path(2)] = ["html"] * 10
        summary = fetch.fetch(site.gallery, tmp_path, LUCA, **FAST)
    assert summary.downloaded == 4 and list(summary.failed) == [2]
    assert "not a complete JPEG" in summary.failed[2] and "after 4 attempts" in summary.failed[2]
    assert not (tmp_path / "000002.jpg").exists() and 2 not in fetch.read_records(tmp_path)
    assert "frame 2: " in summary.report()


def test_robots_txt_is_honoured(tmp_path):
    with FakeScreencaps(robots="User-agent: *\nDisallow: /luca/\n") as site:
        with pytest.raises(ValueError, match="robots.txt of 127.0.0.1:\\d+ disallows"):
            fetch.fetch(site.gallery, tmp_path, LUCA, **FAST)
        assert sum(site.requests[site.image_path(f)] for f in site.frames) == 0


def test_robots_txt_that_fails_with_a_server_error_disallows_the_site_and_a_missing_one_allows_it(tmp_path):
    # RFC 9309, 2.3.1.3 and 2.3.1.4
    with FakeScreencaps() as site:
        site.faults["/robots.txt"] = ["503"] * 20  # past the client's retries
        with pytest.raises(ValueError, match=r"robots.txt of 127.0.0.1:\d+ answered HTTP 503, so nothing there "
                                             r"may be fetched \(RFC 9309\)"):
            fetch.fetch(site.gallery, tmp_path / "a", LUCA, **FAST)
        assert sum(site.requests[site.image_path(f)] for f in site.frames) == 0
        assert site.requests[site.page_path(1)] == 0
    with FakeScreencaps(robots=None) as site:
        fetch.fetch(site.gallery, tmp_path / "b", LUCA, **FAST)
        assert all(site.requests[site.image_path(f)] == 1 for f in site.frames)


def test_requests_per_second_are_capped():
    limiter = fetch.RateLimiter(rate=20)
    start = time.monotonic()
    for _ in range(11):
        limiter.wait()
    assert time.monotonic() - start >= 0.49  # 10 intervals of 50 ms


def test_a_kill_then_a_rerun_downloads_each_frame_once(tmp_path):
    out = tmp_path / "luca"
    options = ["--movie", "luca", "--out", str(out), "--workers", "2", "--rate", "0", "--timeout", "5"]
    with FakeScreencaps(frames=range(1, 31), per_page=10) as site:
        site.gate_after = 12  # then the server holds every image request until the gate opens
        site.open_gate.clear()
        command = [sys.executable, "-m", "trainer.data", "fetch", site.gallery, *options]
        first = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        deadline = time.monotonic() + 120
        while len(list(out.glob("*.jpg"))) < 12 and time.monotonic() < deadline and first.poll() is None:
            time.sleep(0.1)
        time.sleep(0.3)
        first.send_signal(signal.SIGKILL)
        first.wait()
        assert len(list(out.glob("*.jpg"))) == 12
        site.open_gate.set()
        second = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert second.returncode == 0, second.stderr[-2000:]
        assert "30 frames listed: 18 downloaded, 12 already present, 0 failed" in second.stdout
        assert [site.served[site.image_path(f)] for f in site.frames] == [1] * 30  # each body sent once in all
    records = [json.loads(line) for line in (out / fetch.RECORD).read_text().splitlines()]
    assert sorted(r["frame"] for r in records) == list(range(1, 31))
