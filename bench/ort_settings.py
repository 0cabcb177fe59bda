"""ONNX Runtime session settings against its defaults, ms per frame: the light generator
and the seed's U-Net (random weights, as `bench.inference` builds them) and the served
light demo.

`python -m bench.ort_settings [--sizes 256 512] [--repeats 5] [--rounds 6]`

Each setting is ONNX Runtime's default SessionOptions with one change. Every session of
every model runs one warm-up frame, then `--rounds` interleaved rounds of `--repeats`
frames (after `bench.inference`'s settle pause); a session's figure is its best round.
Prints ms per frame and the default's time as a multiple of each setting's (above 1: the
setting is faster). `hub.onnx_runtime.OnnxNetwork` runs the defaults while none is.
"""

import argparse
import functools
import tempfile

import numpy as np
import onnxruntime

from bench.inference import GENERATORS, best_ms_per_frame, random_cyclegan
from hub.onnx_runtime import OnnxNetwork
from space.models import DEMO_CYCLEGANS

# name: SessionOptions attributes, or session config entries (dotted keys)
SETTINGS = {
    "default": {},
    "1 thread": {"intra_op_num_threads": 1},
    "no spinning": {"session.intra_op.allow_spinning": "0"},
    "no arena": {"enable_cpu_mem_arena": False},
    "no mem pattern": {"enable_mem_pattern": False},
    "extended opt": {"graph_optimization_level": onnxruntime.GraphOptimizationLevel.ORT_ENABLE_EXTENDED},
    "denormals 0": {"session.set_denormal_as_zero": "1"},
}
TIMED = ("U-Net (seed)", "light (cartoon preset)")


def session_options(changes):
    options = onnxruntime.SessionOptions()
    for key, value in changes.items():
        if "." in key:
            options.add_session_config_entry(key, value)
        else:
            setattr(options, key, value)
    return options


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.ort_settings", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--base-filters", type=int, default=64, help="width of the random generators")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for name in TIMED:
            random_cyclegan(f"{tmp}/{name}", *GENERATORS[name], base_filters=args.base_filters)
            files[name] = f"{tmp}/{name}/generator_a2b.onnx"
        files[f"served: {DEMO_CYCLEGANS[0].name}"] = DEMO_CYCLEGANS[0] / "generator_a2b.onnx"
        networks = {(model, setting): OnnxNetwork(path, session_options(changes))
                    for model, path in files.items() for setting, changes in SETTINGS.items()}
        print(f"ms a frame (the default's time / the setting's)\n{'size':>6}  {'model':<34}"
              + "".join(f"{setting:>16}" for setting in SETTINGS))
        for size in args.sizes:
            frame = np.random.default_rng(0).uniform(-1, 1, (1, size, size, 3)).astype(np.float32)
            for network in networks.values():
                network(frame)  # warm-up
            best = best_ms_per_frame({key: functools.partial(network, frame) for key, network in networks.items()},
                                     args.rounds, args.repeats)
            for model in files:
                default = best[model, "default"]
                print(f"{size:>6}  {model:<34}" + "".join(
                    f"{f'{best[model, setting]:.1f} ({default / best[model, setting]:.2f}x)':>16}"
                    for setting in SETTINGS), flush=True)


if __name__ == "__main__":
    main()
