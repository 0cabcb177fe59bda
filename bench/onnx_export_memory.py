"""Peak memory of the ONNX export of a U-Net generator (the seed's: 256 px, 64 filters,
54 M parameters), as `save_pretrained` runs it (hub.onnx_runtime.export, a child process
with the pure-Python protobuf) and, with --baseline, as it ran before (Keras'
`net.export(format="onnx")` in the trainer's own process). Also checks that the new
export gives the Keras network's outputs within 1e-4.

`python -m bench.onnx_export_memory [--size 256] [--base-filters 64] [--baseline]`

Each way runs in a fresh process of its own, which builds the network with the same seed:
its peak resident memory (VmHWM) is the process's, and that of the export's child where
there is one (ru_maxrss of its children). The baseline needs tens of GB for the seed's
U-Net (docs/results.md): leave it out on a smaller machine.
"""

import argparse
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _peak_mb():
    return int(re.search(r"VmHWM:\s+(\d+)", Path("/proc/self/status").read_text()).group(1)) / 1024


def measure(way, size, base_filters, folder):
    """In this process: build the generator, export it `way` ('child' or 'in-process'),
    print one JSON line of figures."""
    import keras
    import numpy as np

    from hub import nets, onnx_runtime

    keras.utils.set_random_seed(0)
    net = nets.build_generator("unet", size, base_filters, "generator_a2b", "transpose", False)
    path, started = Path(folder) / f"{way}.onnx", time.monotonic()
    before = _peak_mb()
    if way == "child":
        onnx_runtime.export(net, path, size)
    else:
        from hub.export_twin import export_twin
        twin = export_twin(net)
        twin(np.zeros([1, size, size, 3], np.float32))
        twin.export(str(path), format="onnx", verbose=False)
    seconds = time.monotonic() - started
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 if way == "child" else 0.0
    x = np.random.default_rng(0).uniform(-1, 1, (1, size, size, 3)).astype(np.float32)
    error = float(np.abs(onnx_runtime.OnnxNetwork(path)(x) - net.predict_on_batch(x)).max())
    print(json.dumps({"way": way, "params": net.count_params(), "seconds": seconds, "process_mb": _peak_mb(),
                      "before_export_mb": before, "child_mb": child_mb, "max_error": error,
                      "onnx_mb": path.stat().st_size / 2 ** 20}))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--base-filters", type=int, default=64)
    parser.add_argument("--baseline", action="store_true", help="also the old in-process export (about 18 GB)")
    parser.add_argument("--measure", choices=("child", "in-process"), help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        measure(args.measure, args.size, args.base_filters, args.folder)
        return
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for way in ("child", "in-process") if args.baseline else ("child",):
            run = subprocess.run([sys.executable, "-m", "bench.onnx_export_memory", "--measure", way, "--size",
                                  str(args.size), "--base-filters", str(args.base_filters), "--folder", folder],
                                 capture_output=True, text=True)
            lines = [line for line in run.stdout.splitlines() if line.startswith("{")]
            if run.returncode or not lines:
                print(f"{way}: failed (exit {run.returncode}): {run.stderr.strip()[-800:]}")
                continue
            results.append(json.loads(lines[-1]))
    print(f"U-Net generator at {args.size} px, {args.base_filters} filters:")
    for r in results:
        child = f"{r['child_mb']:,.0f} MB in the export's child" if r["child_mb"] else "no child"
        print(f"- {r['way']}: {r['params']:,} parameters, ONNX {r['onnx_mb']:.0f} MB; peak {r['process_mb']:,.0f} MB "
              f"in the process ({r['before_export_mb']:,.0f} before the export), {child}; {r['seconds']:.1f} s; "
              f"largest difference from Keras {r['max_error']:.1e}")
    if len(results) == 2:
        new, old = results
        print(f"peak of the export, the old way over the new (the larger of process and child): "
              f"{max(old['process_mb'], old['child_mb']) / max(new['process_mb'], new['child_mb']):.1f}x")


if __name__ == "__main__":
    main()
