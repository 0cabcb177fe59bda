"""The benchmarks' own arithmetic: bench.precision's curve gaps, bench.profile's kernel sums,
bench.look_table's rows and bench.line_placement's distances; bench.ort_settings' sessions;
bench.light_path's multiply-adds; and `python -m bench --quick`, every part end to end at
toy sizes."""

import gzip
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from bench import line_placement, look_table, ort_settings, profile
from bench.precision import RUNS, curve_gaps
from hub.onnx_runtime import OnnxNetwork
from space.models import DEMO_CYCLEGANS
from trainer.engine.multi_loss import LOSS_NAMES


def test_curve_gaps_are_mean_absolute_gaps_relative_to_the_reference():
    def rows(values):
        return [{"epoch": i + 1, **{name: v for name in LOSS_NAMES}} for i, v in enumerate(values)]

    reference, bf16, other_seed = RUNS
    results = {reference: (rows([2.0, 1.0, -1.0]), None, 0), bf16: (rows([2.2, 1.0, -1.0]), None, 0),
               other_seed: (rows([1.0, 2.0, 0.0]), None, 0)}
    gaps = curve_gaps(results)
    assert set(gaps) == set(LOSS_NAMES)
    # mean |reference| = 4/3; bf16: mean gap 0.2/3 -> 0.05; the other seed: 3/3 -> 0.75.
    assert gaps["gen_G_loss"][bf16] == pytest.approx(0.05)
    assert gaps["gen_G_loss"][other_seed] == pytest.approx(0.75)


def test_the_profile_sums_device_kernels_by_name_and_leaves_the_host_out(tmp_path, capsys):
    def meta(pid, name):
        return {"ph": "M", "pid": pid, "name": "process_name", "args": {"name": name}}

    def kernel(pid, tid, ts, dur, name):
        return {"ph": "X", "pid": pid, "tid": tid, "ts": ts, "dur": dur, "name": name}

    trace = {"traceEvents": [
        meta(1, "/host:CPU"), meta(2, "/device:GPU:0"),
        kernel(1, 1, 0, 5000, "PjitFunction(train_step)"),  # host time: not a kernel
        kernel(2, 7, 0, 300, "convolution.12"), kernel(2, 7, 400, 300, "convolution.12"),
        kernel(2, 7, 800, 200, "fusion.3"), kernel(2, 8, 900, 100, "memcpy")]}
    by_name, busy, span = profile.device_kernels(trace)
    assert by_name == pytest.approx({"convolution.12": 600e-6, "fusion.3": 200e-6, "memcpy": 100e-6})
    assert (busy, span) == pytest.approx((800e-6, 1000e-6))  # stream 7 busy 0.8 of the 1 ms traced

    folder = tmp_path / "plugins" / "profile" / "run"
    folder.mkdir(parents=True)
    with gzip.open(folder / "vm.trace.json.gz", "wt") as f:
        json.dump(trace, f)
    profile.report(tmp_path, top=2)
    out = capsys.readouterr().out
    assert "80% of the traced 1.0 ms" in out and "convolution.12" in out and "memcpy" not in out


def test_the_look_table_puts_identity_and_the_render_first_then_each_model(tmp_path, capsys):
    def result(ssim, f1):
        look = {"outline_precision": 0.5, "outline_recall": 0.25, "outline_f1": f1, "edge_sharpness": 0.75,
                "flat_texture": 2.5}
        return {"directions": {"3d -> 2d": {"model": {"ssim": ssim}, "identity": {"ssim": 0.6}},
                               "2d -> 3d": {"model": {"ssim": 0.8}, "identity": {"ssim": 0.6}}},
                "look": {"3d -> 2d": {"model": look, "identity": {**look, "outline_f1": 0.2},
                                      "target": {**look, "outline_f1": 0.9}}},
                "style": {"directions": {"3d -> 2d": {"classifier": {"model": 0.95, "identity": 0.02,
                                                                     "real target": 1.0}}}}}
    for name, ssim, f1 in (("one", 0.7, 0.333), ("two", 0.71, 0.5)):
        (tmp_path / f"celeval_{name}.json").write_text(json.dumps(result(ssim, f1)))
    look_table.main(["--cel", "--runs", str(tmp_path), "one", "two"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[2] == "| identity (the 3d input) | 0.6000 | 0.500 | 0.250 | 0.200 | 0.750 | 2.50 | 0.020 | 0.6000 |"
    assert lines[3].startswith("| the 2d render itself | 1.0000 |") and "| 0.900 |" in lines[3]
    assert lines[4:] == ["| one | 0.7000 | 0.500 | 0.250 | 0.333 | 0.750 | 2.50 | 0.950 | 0.8000 |",
                         "| two | 0.7100 | 0.500 | 0.250 | 0.500 | 0.750 | 2.50 | 0.950 | 0.8000 |"]
    with pytest.raises(SystemExit, match="eval_one.json is missing"):
        look_table.main(["--runs", str(tmp_path), "one"])


def test_line_placement_finds_the_horizon_drawn_low_and_scores_the_lines_outside_its_strip():
    masks, lines = np.zeros((2, 40, 40), bool), np.zeros((2, 40, 40), bool)
    masks[0, 8, :] = True          # a horizon across the frame
    masks[:, 24:36, 20] = True     # and a post in both frames
    lines[0, 13, :] = True         # the horizon drawn 5 px low
    lines[0, 24:36, 20] = True     # the post where it is ...
    lines[1, 24:36, 22] = True     # ... and 2 px off
    p = line_placement.placement(lines, masks)
    assert list(line_placement.horizon_offsets(lines, masks)) == [5]
    assert p["horizons"] == 1 and p["horizon_drawn"] == 1 and p["horizon_offset"] == 5 and p["horizon_within_1px"] == 0
    assert p["lines"] == pytest.approx([12 / 64, 12 / 64, 0, 40 / 64, 0])  # within 1 px / 2 / 3 / 4-6 / further
    assert p["outlines"] == pytest.approx([12 / 64, 12 / 64, 0, 40 / 64, 0])
    assert p["outside"]["outline_f1"] == pytest.approx(0.5) and p["outline_share_outside"] == pytest.approx(24 / 64)
    lines[0, 13, :] = False        # no horizon line at all
    assert np.isnan(line_placement.horizon_offsets(lines, masks)).all()
    assert line_placement.placement(lines, masks)["horizon_drawn"] == 0


def test_line_placement_reads_the_fog_where_a_horizon_is_drawn():
    masks, lines = np.zeros((3, 40, 40), bool), np.zeros((3, 40, 40), bool)
    masks[:2, 8, :] = True                       # frames 0 and 1 have a horizon at row 8, frame 2 none
    lines[0, 13, :] = lines[1, 10, :] = True     # drawn 5 and 2 rows low
    profiles = [np.linspace(0, 1, 40)] * 3       # transmittance = row / 39
    assert line_placement.drawn_horizon_transmittance(lines, masks, profiles) == pytest.approx((13 + 10) / 2 / 39)
    assert line_placement.drawn_horizon_transmittance(lines, masks, [None, profiles[1], None]) == pytest.approx(10 / 39)
    assert line_placement.drawn_horizon_transmittance(np.zeros_like(lines), masks, profiles) is None


def test_ground_transmittance_is_zero_at_a_toyworld_horizon_and_grows_below_it():
    from trainer.data import toyworld

    scene = toyworld.sample_scene(toyworld.scene_rng(0, toyworld.STILLS, 0))
    profile = line_placement.ground_transmittance(scene, 64)
    ground_rows = np.flatnonzero(~np.isnan(profile))
    assert 0 < ground_rows[0] < 32 and ground_rows[-1] == 63     # sky above, ground to the bottom
    assert profile[ground_rows[0]] < 0.01 and profile[63] > 0.3
    assert (np.diff(profile[ground_rows]) >= 0).all()


def test_line_placement_splits_ssim_between_the_horizon_strip_and_the_rest():
    masks = np.zeros((1, 40, 40), bool)
    masks[0, 8, :] = True                                     # the horizon: its strip is rows 5-20
    target = np.random.default_rng(0).integers(0, 256, (1, 40, 40, 3), dtype=np.uint8)
    assert line_placement.strip_ssim(target, target, masks) == pytest.approx({"all": 1, "strip": 1, "outside": 1})
    in_strip = target.copy()
    in_strip[0, 12:15] = 255 - in_strip[0, 12:15]             # every window it touches is centred in the strip
    ssim = line_placement.strip_ssim(in_strip, target, masks)
    assert ssim["outside"] == pytest.approx(1) and ssim["strip"] < 0.9 and ssim["strip"] < ssim["all"] < 1
    below = target.copy()
    below[0, 30:34] = 255 - below[0, 30:34]                   # far below the strip
    ssim = line_placement.strip_ssim(below, target, masks)
    assert ssim["strip"] == pytest.approx(1) and ssim["outside"] < 0.9


def test_each_ort_setting_changes_one_session_option_and_not_the_output():
    path = DEMO_CYCLEGANS[0] / "generator_a2b.onnx"  # the served light demo
    frame = np.random.default_rng(0).uniform(-1, 1, (1, 64, 64, 3)).astype(np.float32)
    default = OnnxNetwork(path, ort_settings.session_options({}))
    expected = default(frame)
    for name, changes in ort_settings.SETTINGS.items():
        network = OnnxNetwork(path, ort_settings.session_options(changes))
        options = network.session.get_session_options()
        for key, value in changes.items():
            if "." in key:
                assert options.get_session_config_entry(key) == value, name
            else:
                assert getattr(options, key) == value != getattr(default.session.get_session_options(), key), name
        np.testing.assert_allclose(network(frame), expected, atol=1e-4, err_msg=name)


def test_the_light_path_profile_counts_the_multiply_adds_of_convolutions_and_transposed_ones(tmp_path):
    from onnx import TensorProto, helper, numpy_helper

    from bench import light_path

    # 16 output channels: no padding to ONNX Runtime's NCHWc blocks (8 or 16 channels)
    weights = [numpy_helper.from_array(np.ones((16, 3, 3, 3), np.float32), "conv_w"),
               numpy_helper.from_array(np.ones((16, 2, 2, 2), np.float32), "up_w")]
    graph = helper.make_graph(
        [helper.make_node("Transpose", ["image"], ["nchw"], perm=[0, 3, 1, 2]),
         helper.make_node("Conv", ["nchw", "conv_w"], ["conv"], pads=[1, 1, 1, 1]),
         helper.make_node("ConvTranspose", ["conv", "up_w"], ["up"], strides=[2, 2]),
         helper.make_node("Relu", ["up"], ["out"])],
        "toy", [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 8, 8, 3])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, None)], weights)
    path = tmp_path / "toy.onnx"
    path.write_bytes(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString())
    shares, macs = light_path.profile(path, np.zeros((1, 8, 8, 3), np.float32), runs=3)
    # the conv: 8x8x16 outputs of 3x3x3 products; the transposed conv: 8x8x16 inputs, each to 2x2x2 outputs
    assert macs == 8 * 8 * 16 * 27 + 8 * 8 * 16 * 8
    assert {"Conv", "ConvTranspose", "Relu"} <= set(shares)


@pytest.mark.slow
def test_every_benchmark_runs_at_toy_sizes():
    """`python -m bench --quick` as a user runs it: every TensorFlow part end to end."""
    done = subprocess.run([sys.executable, "-m", "bench", "--quick"], capture_output=True, text=True, timeout=1500,
                          env={**os.environ, "KERAS_BACKEND": "tensorflow"})
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    for title in ("training", "input pipelines", "inference", "ONNX Runtime settings", "the light path as served",
                  "video", "webcam"):
        assert f"== {title}: python -m bench." in out, title
    number = r"[\d.]+"
    assert re.search(rf"unet +project default \(batch 1\) +{number} ms/pair = {number}x the seed's step", out)
    assert re.search(rf"the light path as served is {number}x as fast as the U-Net's \(aim: 8x\)", out)
    assert re.search(r"the instance norms take -?\d+% of the light network's time", out)
    assert re.search(rf"its convolutions ran {number} G multiply-adds at {number} G a second", out)
    assert re.search(rf"cyclegan-toyworld-light: {number} frames/s as served, {number} in turn", out)
    assert re.search(rf"^on +{number} +{number}", out, re.M) and re.search(rf"^off +{number} +{number}", out, re.M)
