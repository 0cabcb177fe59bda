"""Does the app give memory back after a burst? `python app.py` is started on 127.0.0.1,
warmed up with one request, then sent `--burst` /translate requests, 14 at a time (the
U-Net demo at Detail 512 on a photo); its resident memory is sampled until `--idle` seconds
after the burst. Prints RSS after start, after warm-up, its peak and its level at the
end, and the time it took to come back within 300 MB of the warm-up level.

`python -m bench.app_memory [--burst 30] [--idle 30] [--detail 512]`
"""

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from space.idle import IDLE_SECONDS

ROOT = Path(__file__).resolve().parents[1]
PHOTO = ROOT / "docs" / "photos" / "coffee.jpg"
MODEL = "demo: cyclegan-toyworld"
IN_FLIGHT = 14  # requests sent at once: the app's queue turns away more than 16 waiting


def rss_mb(pid):
    return int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text()).group(1)) / 1024


def start_app(log):
    """`python app.py` on a free port -> (Popen, url)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    process = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 180
    while True:
        try:
            urllib.request.urlopen(url, timeout=5)
            return process, url
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("app.py did not start") from None
            time.sleep(0.5)


def burst_figures(url, pid, burst, idle, detail, until_back=False):
    """-> {after_start, after_warmup, peak, end, back_after} in MB and seconds (back_after:
    None where RSS did not come back within 300 MB of after_warmup; the first sample is
    taken as the burst ends). until_back: stop sampling once it is back."""
    from gradio_client import Client, handle_file

    client = Client(url, verbose=False, download_files=False)  # the server does the work either way
    figures = {"after_start": rss_mb(pid)}

    def translate(_):
        return client.predict(handle_file(str(PHOTO)), "3d -> 2d", MODEL, detail, 1.0, api_name="/translate")
    translate(0)
    time.sleep(IDLE_SECONDS + 2)  # the app gives memory back once idle (space.idle)
    figures["after_warmup"] = rss_mb(pid)
    peak = 0.0
    with ThreadPoolExecutor(min(burst, IN_FLIGHT)) as pool:
        jobs = [pool.submit(translate, i) for i in range(burst)]
        while not all(job.done() for job in jobs):
            peak = max(peak, rss_mb(pid))
            time.sleep(0.1)
        for job in jobs:
            job.result()
    finished, back_after = time.monotonic(), None
    while time.monotonic() - finished < idle:
        level = rss_mb(pid)
        peak = max(peak, level)
        if back_after is None and level <= figures["after_warmup"] + 300:
            back_after = time.monotonic() - finished
            if until_back:
                break
        time.sleep(0.25)
    figures.update(peak=peak, end=rss_mb(pid), back_after=back_after)
    return figures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--burst", type=int, default=30)
    parser.add_argument("--idle", type=float, default=30.0)
    parser.add_argument("--detail", type=int, default=512)
    args = parser.parse_args(argv)
    with tempfile.TemporaryFile("w+") as log:
        process, url = start_app(log)
        try:
            f = burst_figures(url, process.pid, args.burst, args.idle, args.detail)
        finally:
            process.terminate()
            process.wait(timeout=30)
    back = f"{f['back_after']:.1f} s after the burst" if f["back_after"] is not None else "not within the idle time"
    print(f"app RSS, MB: {f['after_start']:.0f} after start, {f['after_warmup']:.0f} after warm-up, peak {f['peak']:.0f} "
          f"during {args.burst} /translate ({IN_FLIGHT} at a time) at Detail {args.detail}, {f['end']:.0f} after {args.idle:g} s idle; "
          f"back within 300 MB of the warm-up level: {back}")


if __name__ == "__main__":
    main()
