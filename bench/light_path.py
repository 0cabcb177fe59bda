"""The served light model against the seed-size U-Net, as users get them: `CycleGAN.translate`
on an example render, at each --sizes side. The light demo's path is taken apart (the
network through ONNX Runtime, the flat fills, the rest: fitting, conversions), the
seed-size U-Net (random weights, exported as `python -m bench.inference` does) runs
through the same `translate`, and a light network of the demo's kind runs with and
without its instance norms; every run is timed in interleaved rounds. Then ONNX Runtime's
own profile of both networks at the first size, grouped by operator (what the optimized
graph runs: convolutions, the layout reorders around them, the instance norms, resizes),
with the multiply-adds its convolutions ran and the rate they ran at.

`python -m bench.light_path [--sizes 256 512] [--rounds 5] [--repeats 20] [--base-filters 64]`
"""

import argparse
import collections
import json
import math
import tempfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from PIL import Image

from bench.inference import best_ms_per_frame, random_cyclegan
from hub import CycleGAN, flat_fills
from hub.imaging import fit_to_network, from_uint8
from space.models import DEMO_CYCLEGANS
from space.ui import EXAMPLES

AIM = 8  # issue 53: the light path as served, this many times the seed-size U-Net's speed
SERVED = "translate (as served: flat fills)"
UNET = "seed-size U-Net: translate"
LIGHT_NETWORK = "the light network alone"
WITH_NORMS = "light network, random weights"
WITHOUT_NORMS = "the same without its instance norms"


def profile(onnx_path, image, runs):
    """ONNX Runtime's profile of `runs` runs on `image` (NHWC float32) ->
    ({operator: ms a run}, multiply-adds its convolutions ran in one run). These count the
    channels ONNX Runtime pads its NCHWc convolutions' outputs to (a multiple of 8 or 16):
    the work it does, a little more than the network's own."""
    with tempfile.TemporaryDirectory() as tmp:
        options = ort.SessionOptions()
        options.enable_profiling = True
        options.profile_file_prefix = f"{tmp}/network"
        options.optimized_model_filepath = f"{tmp}/optimized.onnx"  # the graph it runs, for the weights' shapes
        options.log_severity_level = 3  # its warning that an NCHWc graph runs only on this CPU's kind
        model = onnx.load(str(onnx_path))
        for i, node in enumerate(model.graph.node):  # named, so that the optimized graph's nodes keep their names
            node.name = node.name or f"{node.op_type}_{i}"
        session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
        name = session.get_inputs()[0].name
        for _ in range(runs):
            session.run(None, {name: image})
        weights = weight_shapes(onnx.load(f"{tmp}/optimized.onnx"))
        events = json.loads(Path(session.end_profiling()).read_text())
    totals, macs = collections.Counter(), 0
    for event in events:
        if event.get("cat") == "Node" and event["name"].endswith("_kernel_time"):
            op, node = event["args"]["op_name"], event["name"].removesuffix("_kernel_time")
            totals[op] += event["dur"] / 1000 / runs
            if node in weights:
                macs += conv_multiply_adds(op, event["args"], weights[node])
    return dict(totals.most_common()), macs // runs


def weight_shapes(model):
    """{node name: its weights' shape} of the Conv and ConvTranspose nodes of an ONNX model."""
    shapes = {tensor.name: list(tensor.dims) for tensor in model.graph.initializer}
    return {node.name: shapes[node.input[1]] for node in model.graph.node
            if node.op_type in ("Conv", "ConvTranspose") and node.input[1] in shapes}


def conv_multiply_adds(op, args, weights):
    """Multiply-adds of one Conv or ConvTranspose node's run, from its profile record and
    its weights' shape: (out, in / groups, kh, kw) for a Conv, whose every output value sums
    that many products; (in, out / groups, kh, kw) for a ConvTranspose, whose every input
    value spreads to that many outputs."""
    (data,) = (args["output_type_shape"] if op == "Conv" else args["input_type_shape"])[0].values()
    return math.prod(data) * math.prod(weights[1:])


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.light_path", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--base-filters", type=int, default=64, help="the U-Net's width (64: the seed's)")
    args = parser.parse_args(argv)
    light_folder = Path(DEMO_CYCLEGANS[0])
    light = CycleGAN.from_pretrained(light_folder)
    with tempfile.TemporaryDirectory() as tmp:
        random_cyclegan(tmp, "unet", "transpose", base_filters=args.base_filters)
        unet = CycleGAN.from_pretrained(tmp)
        norms_or_not = light_networks_with_and_without_norms(Path(tmp))
        print(f"{light_folder.name} against the seed-size U-Net (random weights, base {args.base_filters}), "
              f"best of {args.rounds} interleaved rounds of {args.repeats} calls")
        best = {}
        for size in args.sizes:
            best[size] = time_parts(light, unet, norms_or_not, size, args.rounds, args.repeats)
            report(size, best[size])
        profiles = {}
        for name, model, folder in (("light network", light, light_folder), ("seed-size U-Net", unet, Path(tmp))):
            padded, _ = fit_to_network(render(args.sizes[0]), args.sizes[0], model.config["size_multiple"])
            image = from_uint8(padded[None]).astype(np.float32)  # as translate feeds the network
            profiles[name] = profile(folder / "generator_a2b.onnx", image, args.repeats)
    print(f"ONNX Runtime's profile at {args.sizes[0]} px, by operator (kernel ms a run):")
    for name, (shares, macs) in profiles.items():
        total = sum(shares.values())
        print(f"  {name}: {total:.2f} ms of kernels; its convolutions ran {macs / 1e9:.2f} G multiply-adds "
              f"at {macs / 1e6 / (shares.get('Conv', 0) + shares.get('ConvTranspose', 0)):.0f} G a second")
        for op, ms in list(shares.items())[:10]:
            print(f"    {op:<24}{ms:7.2f} ms  {ms / total:6.1%}")
    return best, profiles


def render(size):
    """An example render at size x size: a real picture, since the flat fills' mean shift
    works longer on noise."""
    return np.asarray(Image.open(EXAMPLES[0]).convert("RGB").resize((size, size)))


def light_networks_with_and_without_norms(folder):
    """{name: OnnxNetwork} of a light generator as the served demo's (random weights) and
    of the same network with its instance norms left out, both exported to ONNX as model
    folders are: what the norms cost in time, which a profile cannot say (profiling slows
    the many small operators more than the convolutions)."""
    import keras
    from keras import layers

    from hub import nets
    from hub.onnx_runtime import OnnxNetwork, export

    net = nets.light_generator(full_size_head=True)
    bare = keras.models.clone_model(net, clone_function=lambda layer: layers.Identity(name=layer.name)
                                    if isinstance(layer, layers.GroupNormalization) else layer)
    networks = {}
    for name, network in ((WITH_NORMS, net), (WITHOUT_NORMS, bare)):
        path = folder / f"{'with' if network is net else 'without'}_norms.onnx"
        export(network, path, image_size=256)
        networks[name] = OnnxNetwork(path)
    return networks


def time_parts(light, unet, norms_or_not, size, rounds, repeats):
    """{part: ms a call} at `size`, every part, the U-Net and the light network with and
    without its norms timed in the same rounds."""
    picture = render(size)
    batch = picture[None]
    network = light.generators["a2b"]
    raw = light.translate_array(batch, "a2b", flat_fills=False)
    runs = {
        SERVED: lambda: light.translate(picture, "a2b", size=size),
        "translate_array, no flat fills": lambda: light.translate_array(batch, "a2b", flat_fills=False),
        LIGHT_NETWORK: lambda: network.predict_on_batch(from_uint8(batch)),
        "flat fills alone": lambda: flat_fills.flatten(raw, size),
        UNET: lambda: unet.translate(picture, "a2b", size=size),
        **{name: (lambda n=network: n(from_uint8(batch))) for name, network in norms_or_not.items()},
    }
    for run in runs.values():
        run()  # warm-up
    return best_ms_per_frame(runs, rounds, repeats)


def report(size, best):
    served = best[SERVED]
    print(f"at {size}x{size}:")
    for name, ms in best.items():
        print(f"  {name:<36}{ms:8.2f} ms  {ms / served:6.0%} of the light path")
    print(f"  the light path as served is {best[UNET] / served:.1f}x as fast as the U-Net's (aim: {AIM}x); "
          f"the light network alone {best[UNET] / best[LIGHT_NETWORK]:.1f}x")
    print(f"  the instance norms take {1 - best[WITHOUT_NORMS] / best[WITH_NORMS]:.0%} of the light network's time")


if __name__ == "__main__":
    main()
