"""Where a GPU step's time goes: the device kernels of a `jax.profiler` trace, summed by
name, and how much of the traced span the device was busy.

`python -m bench.profile TRACE_DIR [--top 20]` reads the newest `*.trace.json.gz` under
TRACE_DIR (what `python -m bench.jax_train --profile TRACE_DIR` writes).
"""

import argparse
import gzip
import json
from collections import defaultdict
from pathlib import Path


def newest_trace(folder):
    traces = sorted(Path(folder).rglob("*.trace.json.gz"), key=lambda p: p.stat().st_mtime)
    if not traces:
        raise FileNotFoundError(f"no *.trace.json.gz under {folder}")
    return traces[-1]


def device_kernels(trace):
    """(seconds per kernel name, busiest stream's busy seconds, traced span in seconds) over
    the processes named /device:..., from a Chrome-format trace dict; ({}, 0, 0) without."""
    events = trace["traceEvents"]
    devices = {e["pid"] for e in events
               if e.get("ph") == "M" and e.get("name") == "process_name"
               and e["args"]["name"].startswith("/device:")}
    kernels = [e for e in events if e.get("ph") == "X" and e["pid"] in devices]
    if not kernels:
        return {}, 0.0, 0.0
    by_name, by_stream = defaultdict(float), defaultdict(float)
    for e in kernels:
        by_name[e["name"]] += e["dur"] / 1e6  # microseconds in the trace
        by_stream[e["pid"], e["tid"]] += e["dur"] / 1e6
    span = (max(e["ts"] + e["dur"] for e in kernels) - min(e["ts"] for e in kernels)) / 1e6
    return dict(by_name), max(by_stream.values()), span


def report(folder, top=20):
    path = newest_trace(folder)
    with gzip.open(path, "rt") as f:
        by_name, busy, span = device_kernels(json.load(f))
    if not by_name:
        print(f"{path}: no device kernels in the trace (a CPU run?)")
        return
    total = sum(by_name.values())
    print(f"{path}: the busiest stream ran kernels {busy / span:.0%} of the traced {span * 1e3:.1f} ms; "
          f"{len(by_name)} kernel names, {total * 1e3:.1f} ms of kernels in all")
    for name, seconds in sorted(by_name.items(), key=lambda item: -item[1])[:top]:
        print(f"{seconds * 1e3:10.2f} ms {seconds / total:6.1%}  {name[:110]}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder")
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args(argv)
    report(args.folder, args.top)


if __name__ == "__main__":
    main()
