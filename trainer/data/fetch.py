"""`python -m trainer.data fetch`: download a movie's frames from its
animationscreencaps.com gallery (educational, non-commercial use), politely and
resumably.

- Crawl: the gallery's WordPress pages (`<slug>/`, `<slug>/page/2/`, ...; the next page
  is the `a.page` right after `span.current` in `div.wp-pagenavi`); each thumbnail
  (`article > section > div > a > img.thumb`) is a CDN URL whose query `w=200&strip=all`
  makes it small: without it, it is the full-size frame. Frame numbers come from the
  file names (`...-1234.jpg`) and run in order through the movie.
- Polite: a few workers (4), a cap on requests per second over all of them, robots.txt
  honoured for every host, a clear User-Agent, a timeout on every request, and 429/5xx
  answers retried with exponential backoff and jitter, after the server's Retry-After
  when it gives one (urllib3's Retry).
- Intact and resumable: a frame is written to a temporary name and renamed only when its
  body has the announced Content-Length and decodes fully as a JPEG; a truncated body or
  an HTML page in its place is retried, then reported, never kept. A re-run (or a run
  after a kill) downloads only the frames that are missing.
- `fetch.jsonl` in the output folder records each frame: URL, number, file, bytes,
  sha256 and the movie's tags (what `prepare` reads).
"""

import hashlib
import io
import json
import random
import re
import threading
import time
import urllib.robotparser
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import requests
from bs4 import BeautifulSoup
from PIL import Image
from requests.adapters import HTTPAdapter
from tqdm import tqdm
from urllib3.util.retry import Retry

from hub.atomic import atomic_path
from trainer.data.records import RECORD, frame_file, read_records  # noqa: F401 - read_records: fetch.read_records

USER_AGENT = ("animation-style-fetcher/0.1 (research on animation styles; educational, non-commercial; "
              "a few requests per second)")
THUMBNAIL_QUERY = {"w", "strip"}  # query keys that make the CDN serve a thumbnail
ATTEMPTS = 4  # per frame, for bodies that arrive broken (cut short, HTML instead of a JPEG)


class FetchError(Exception):
    """A frame that could not be downloaded intact; the message is the reason."""


@dataclass
class Summary:
    listed: int = 0
    downloaded: int = 0
    present: int = 0  # already on disk from an earlier run
    failed: dict = field(default_factory=dict)  # frame number -> reason
    seconds: float = 0.0

    def report(self):
        lines = [f"{self.listed} frames listed: {self.downloaded} downloaded, {self.present} already present, "
                 f"{len(self.failed)} failed ({self.seconds:.1f} s)"]
        lines += [f"  frame {frame}: {reason}" for frame, reason in sorted(self.failed.items())]
        return "\n".join(lines)


class RateLimiter:
    """At most `rate` request starts per second, over all threads."""

    def __init__(self, rate):
        self.interval = 1.0 / rate if rate else 0.0
        self.next_start = 0.0
        self.lock = threading.Lock()

    def wait(self):
        with self.lock:
            now = time.monotonic()
            start = max(now, self.next_start)
            self.next_start = start + self.interval
        time.sleep(max(0.0, start - now))


class Client:
    """A requests session with the fetcher's manners: User-Agent, timeouts, retries with
    backoff, the rate cap and robots.txt."""

    def __init__(self, rate=4.0, timeout=30.0, backoff=1.0, retries=5):
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        retry = Retry(total=retries, connect=retries, read=retries, status=retries, backoff_factor=backoff,
                      backoff_jitter=backoff / 2, backoff_max=60, status_forcelist=(429, 500, 502, 503, 504),
                      allowed_methods={"GET"}, respect_retry_after_header=True, raise_on_status=False)
        adapter = HTTPAdapter(max_retries=retry, pool_maxsize=32)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.limiter = RateLimiter(rate)
        self.timeout = timeout
        self.backoff = backoff
        self.robots = {}  # scheme://host -> RobotFileParser
        self.robots_lock = threading.Lock()

    def refusal(self, url):
        """None when robots.txt lets us fetch `url`, else why not. RFC 9309: robots.txt
        missing (4xx) allows everything; a server error or no answer disallows everything."""
        parts = urlsplit(url)
        host = f"{parts.scheme}://{parts.netloc}"
        with self.robots_lock:
            if host not in self.robots:
                parser = urllib.robotparser.RobotFileParser()
                try:
                    answer = self.get(f"{host}/robots.txt")
                    failure = f"answered HTTP {answer.status_code}" if answer.status_code >= 500 else None
                except requests.RequestException as e:
                    answer, failure = None, f"could not be read ({type(e).__name__})"
                if failure:
                    self.robots[host] = (f"robots.txt of {parts.netloc} {failure}, so nothing there may be "
                                         f"fetched (RFC 9309); try again later")
                else:
                    parser.parse(answer.text.splitlines() if answer.status_code == 200 else [])
                    self.robots[host] = parser
        rules = self.robots[host]
        if isinstance(rules, str):
            return rules
        return None if rules.can_fetch(USER_AGENT, url) else f"robots.txt of {parts.netloc} disallows {url}"

    def get(self, url):
        self.limiter.wait()
        return self.session.get(url, timeout=self.timeout)


def full_size_url(thumbnail_url):
    """The thumbnail's URL without the query keys that shrink it."""
    parts = urlsplit(thumbnail_url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in THUMBNAIL_QUERY]
    return urlunsplit(parts._replace(query=urlencode(query)))


def frame_number(url):
    match = re.search(r"-(\d+)\.jpe?g$", urlsplit(url).path, re.I)
    if not match:
        raise ValueError(f"no frame number in {url}")
    return int(match.group(1))


def crawl(client, gallery_url, max_images=None):
    """[(frame number, full-size URL)] in gallery order, following the pager."""
    frames, seen_pages, url = [], set(), gallery_url
    while url and url not in seen_pages:
        seen_pages.add(url)
        if refusal := client.refusal(url):
            raise ValueError(refusal)
        answer = client.get(url)
        if answer.status_code != 200:
            raise ValueError(f"gallery page {url} answered HTTP {answer.status_code}")
        page = BeautifulSoup(answer.text, "html.parser")
        for img in page.select("article > section > div > a > img.thumb"):
            src = img.get("src", "")
            if "wp.com/" not in src:
                continue
            full = full_size_url(urljoin(url, src))
            frames.append((frame_number(full), full))
            if max_images and len(frames) >= max_images:
                return frames
        following = page.select_one("div.wp-pagenavi span.current ~ a.page")
        url = urljoin(url, following["href"]) if following and following.get("href") else None
    return frames


def download(client, url, destination):
    """Download one frame to `destination` (atomically); -> (bytes, sha256)."""
    if refusal := client.refusal(url):
        raise FetchError(refusal)
    reason = "not tried"
    for attempt in range(ATTEMPTS):
        if attempt:
            time.sleep(client.backoff * 2 ** (attempt - 1) * random.uniform(0.5, 1.5))
        try:
            answer = client.get(url)
            data = answer.content
        except requests.RequestException as e:  # after the adapter's own retries
            reason = f"{type(e).__name__}: {e}"
            continue
        if answer.status_code != 200:
            reason = f"HTTP {answer.status_code}"
            continue
        expected = answer.headers.get("Content-Length")
        if expected is not None and int(expected) != len(data):
            reason = f"body cut short: {len(data)} of {expected} bytes"
            continue
        problem = _not_a_jpeg(data)
        if problem:
            reason = f"{problem} (Content-Type {answer.headers.get('Content-Type', '?')})"
            continue
        with atomic_path(destination) as tmp:
            Path(tmp).write_bytes(data)
        return len(data), hashlib.sha256(data).hexdigest()
    raise FetchError(f"{reason}, after {ATTEMPTS} attempts")


def _not_a_jpeg(data):
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "JPEG":
                return f"a {image.format} image, not a JPEG"
            image.load()  # decodes every row: a cut body fails here
    except Exception as e:  # noqa: BLE001 - whatever Pillow says, the body is not a usable frame
        return f"not a complete JPEG ({type(e).__name__}: {e})"
    return None


def fetch(gallery_url, out, movie, workers=4, rate=4.0, max_images=None, timeout=30.0, backoff=1.0,
          progress=True):
    """Download a gallery's frames into `out`; `movie` is a trainer.data.movies.Movie (its
    tags go into fetch.jsonl). Returns a Summary."""
    started = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    client = Client(rate=rate, timeout=timeout, backoff=backoff)
    frames = crawl(client, gallery_url, max_images)
    records = read_records(out)
    tags = {"movie": movie.name, "studio": movie.studio, "medium": movie.medium}
    summary = Summary(listed=len(frames))
    lock = threading.Lock()

    def record(frame, url, nbytes, sha256):
        line = json.dumps({"frame": frame, "url": url, "file": frame_file(frame), "bytes": nbytes,
                           "sha256": sha256, **tags}, sort_keys=True)
        with lock, open(out / RECORD, "a", encoding="utf-8") as f:
            f.write(line + "\n")

    missing = []
    for frame, url in frames:
        path = out / frame_file(frame)
        if path.is_file():
            summary.present += 1
            if frame not in records:  # killed between the rename and the record
                data = path.read_bytes()
                record(frame, url, len(data), hashlib.sha256(data).hexdigest())
        else:
            missing.append((frame, url))
    with ThreadPoolExecutor(max(1, workers)) as pool, \
            tqdm(total=len(missing), unit="frame", desc=movie.name, disable=not progress) as bar:
        futures = {pool.submit(download, client, url, out / frame_file(frame)): (frame, url)
                   for frame, url in missing}
        for future in as_completed(futures):
            frame, url = futures[future]
            try:
                nbytes, sha256 = future.result()
            except FetchError as e:
                summary.failed[frame] = str(e)
            else:
                record(frame, url, nbytes, sha256)
                summary.downloaded += 1
            bar.update()
    summary.seconds = time.perf_counter() - started
    return summary
