"""`python app.py` started as a user starts it, on a free port of 127.0.0.1, for tests that
talk to it over HTTP."""

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def running_app(log, proxy_url, *options):
    """`python app.py --port PORT *options`, with `proxy_url` as its proxy to the web and no
    setting that keeps Gradio or the Hub off the web. Yields its Popen once it answers, with
    its URL as `.url` and its console log's path (`log`) as `.log`."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**{k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "GRADIO_ANALYTICS_ENABLED")},
           "HTTP_PROXY": proxy_url, "HTTPS_PROXY": proxy_url, "NO_PROXY": "127.0.0.1,localhost"}
    with open(log, "w") as out:
        process = subprocess.Popen([sys.executable, "app.py", "--port", str(port), *options],
                                   cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 180
    while True:
        try:
            urllib.request.urlopen(url, timeout=5)
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"app.py did not start:\n{Path(log).read_text()[-3000:]}") from None
            time.sleep(0.5)
    process.url, process.log = url, Path(log)
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)
