"""A small animationscreencaps.com on 127.0.0.1 for the fetcher's tests: WordPress gallery
pages with the site's pager and thumbnails, a CDN path serving JPEG frames, robots.txt,
and faults to inject per path (HTTP 500, 429 with Retry-After, a response slower than
the client's timeout, a body cut short, an HTML page with status 200)."""

import io
import threading
import time
from collections import Counter, defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
from PIL import Image

CDN = "/cdn/i0.wp.com/img.screencaps.us/202/1-{slug}/full/{slug}-animationscreencaps.com-{frame}.jpg"


def frame_jpeg(frame, size=(64, 36)):
    """Frame `frame` of the fake movie: coloured blocks drawn from its number, so that
    any two frames differ (frame 0 is black, like a fade)."""
    blocks = np.random.default_rng(frame).integers(0, 256, (6, 8, 3), np.uint8) if frame else np.zeros((6, 8, 3), np.uint8)
    image = Image.fromarray(blocks).resize(size, Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


class FakeScreencaps:
    def __init__(self, slug="luca", frames=range(1, 26), per_page=10, robots="User-agent: *\nDisallow: /private/\n",
                 picture=frame_jpeg):
        """picture: frame number -> the JPEG bytes served for it."""
        self.slug, self.frames, self.per_page, self.robots = slug, list(frames), per_page, robots
        self.picture = picture
        self.faults = defaultdict(list)  # path -> faults still to inject, in order
        self.served = Counter()  # path -> complete 200 image bodies sent
        self.requests = Counter()  # path -> requests of any kind
        self.open_gate = threading.Event()  # past `gate_after` bodies, image requests wait on it and are then dropped
        self.open_gate.set()
        self.gate_after = None
        self.admitted = 0  # image bodies let through the gate, counted before sending so two threads can't both pass
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.open_gate.set()
        self.server.shutdown()
        self.server.server_close()

    @property
    def gallery(self):
        return f"{self.url}/{self.slug}/"

    def image_path(self, frame):
        return CDN.format(slug=self.slug, frame=frame)

    def page_path(self, number):
        return f"/{self.slug}/" if number == 1 else f"/{self.slug}/page/{number}/"

    def pages(self):
        return [self.frames[i:i + self.per_page] for i in range(0, len(self.frames), self.per_page)]

    def page_html(self, number):
        pages = self.pages()
        thumbs = "".join(
            f'<article><section><div><a href="/{self.slug}/frame-{f}/">'
            f'<img class="thumb" src="{self.url}{self.image_path(f)}?{"ssl=1&" if f % 2 else ""}w=200&strip=all">'
            f"</a></div></section></article>" for f in pages[number - 1])
        pager = "".join(f'<span class="current">{n}</span>' if n == number else
                        f'<a class="page larger" href="{self.url}{self.page_path(n)}">{n}</a>'
                        for n in range(1, len(pages) + 1))
        return (f"<html><body><div class='sidebar'><img class='thumb' src='/logo.png'></div>{thumbs}"
                f"<div class='wp-pagenavi'>{pager}</div></body></html>").encode()

    def _handler_class(site):  # noqa: N805 - the handler closes over the site
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def send(self, status, body, content_type="text/html", headers=None, length=None):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body) if length is None else length))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):  # noqa: N802 - http.server's name
                path = self.path.split("?")[0]
                with site.lock:
                    site.requests[path] += 1
                    fault = site.faults[path].pop(0) if site.faults[path] else None
                if fault == "500":
                    return self.send(500, b"<h1>Internal Server Error</h1>")
                if fault == "503":
                    return self.send(503, b"<h1>Service Unavailable</h1>", headers={"Retry-After": "1"})
                if fault == "429":
                    return self.send(429, b"<h1>Too Many Requests</h1>", headers={"Retry-After": "1"})
                if fault == "slow":
                    time.sleep(2.5)  # past the tests' 1 s timeout
                if path == "/robots.txt":
                    if site.robots is None:  # a site without one
                        return self.send(404, b"<h1>Not Found</h1>")
                    return self.send(200, site.robots.encode(), "text/plain")
                for number in range(1, len(site.pages()) + 1):
                    if path == site.page_path(number):
                        return self.send(200, site.page_html(number))
                frame = next((f for f in site.frames if path == site.image_path(f)), None)
                if frame is None:
                    return self.send(404, b"<h1>Not Found</h1>")
                if fault == "html":
                    return self.send(200, b"<html><body>Error establishing a database connection</body></html>")
                body = site.picture(frame)
                if fault == "truncated":
                    self.send(200, body[: len(body) // 2], "image/jpeg", length=len(body))
                    self.close_connection = True
                    return
                with site.lock:
                    gated = (not site.open_gate.is_set() and site.gate_after is not None
                             and site.admitted >= site.gate_after)
                    site.admitted += not gated
                if gated:  # held until the gate opens, then dropped unanswered: its client was killed meanwhile
                    site.open_gate.wait()
                    self.close_connection = True
                    return
                self.send(200, body, "image/jpeg")
                with site.lock:
                    site.served[path] += 1

        return Handler
