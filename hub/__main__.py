"""`python -m hub push FOLDER REPO_ID`: upload a model folder (a training run's
RUN_DIR/model, or any save_pretrained folder) to the Hugging Face Hub in one commit.
`python -m hub float16 FOLDER`: store its weights as float16 (half the size).
`python -m hub onnx FOLDER`: add the ONNX exports it lacks (a folder trained on JAX).
`python -m hub flat-fills FOLDER a2b|b2a|none ...`: which directions of a CycleGAN folder
get flat fills (hub.flat_fills) by default; for a CAAE folder, which label names
(`python -m hub flat-fills FOLDER studio=cel`).
`python -m hub translate INPUT... --model M`: translate pictures, folders and videos
(hub.translate_files)."""

import argparse
import sys

from hub import flat_fills
from hub.errors import HubError
from hub.model_folder import add_onnx, read_config, store_float16, update_config
from hub.push import commit_url, push_folder


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m hub", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    push = commands.add_parser("push", help="upload a model folder to a Hub repo")
    push.add_argument("folder", help="model folder, e.g. runs/NAME/model")
    push.add_argument("repo_id", help="Hub repo, e.g. USER/pixar2ghibli (created if missing)")
    push.add_argument("--private", action="store_true", help="create the repo as private")
    push.add_argument("--token", default=None, help="Hub token (default: HF_TOKEN or `hf auth login`)")
    half = commands.add_parser("float16", help="store a model folder's weights as float16 (half the size)")
    half.add_argument("folder")
    half.add_argument("--onnx-only", action="store_true",
                      help="then delete the .keras files: a folder that only serves, with ONNX Runtime")
    onnx = commands.add_parser("onnx", help="add the ONNX exports a model folder lacks (runs without TensorFlow)")
    onnx.add_argument("folder")
    flat = commands.add_parser("flat-fills", help="which outputs of a model folder get flat fills by default")
    flat.add_argument("folder")
    flat.add_argument("directions", nargs="+", metavar="WHICH",
                      help="a CycleGAN's a2b and/or b2a (the cel-style side's direction); a CAAE's label "
                           "names, e.g. studio=cel (outputs blend into their flat fills by that label's "
                           "weight); or none")
    add_translate_parser(commands)
    args = parser.parse_args(argv)
    try:
        if args.command == "translate":
            return translate(args)
        if args.command == "flat-fills":
            directions = set_flat_fills(args.folder, args.directions)
            print(f"{args.folder}: flat fills on {', '.join(directions) or 'nothing'}")
            return
        if args.command == "float16":
            store_float16(args.folder, onnx_only=args.onnx_only)
            print(f"{args.folder}: weights stored as float16" + (", ONNX only" if args.onnx_only else ""))
            return
        if args.command == "onnx":
            exported = add_onnx(args.folder)
            print(f"{args.folder}: exported {', '.join(exported)}" if exported else
                  f"{args.folder}: every network already has a current ONNX export")
            return
        commit = push_folder(args.folder, args.repo_id, private=args.private or None, token=args.token)
    except HubError as e:
        sys.exit(f"error: {e}")
    print(f"pushed {args.folder} to {args.repo_id}: {commit_url(commit)}")


def add_translate_parser(commands):
    tr = commands.add_parser("translate", help="translate pictures, folders and videos with a model",
                             description="Translate pictures, folders (recursively) and videos with a CycleGAN, "
                                         "or restyle them with a CAAE. Outputs go under --out: pictures as PNG, "
                                         "videos as MP4 with their sound.")
    tr.add_argument("inputs", nargs="+", metavar="INPUT", help="pictures, videos or folders")
    tr.add_argument("--model", required=True, help="a model folder or a Hub repo id")
    tr.add_argument("--out", default="translated", help="output folder (default: translated)")
    tr.add_argument("--direction", default=None,
                    help="a CycleGAN's direction: a2b, b2a or its name, e.g. '3d -> 2d' (default a2b)")
    tr.add_argument("--restyle", default=None, metavar="TAG=VALUE,...",
                    help="a CAAE's labels, e.g. medium=2d,studio=cel (a group left out is a blend of its values)")
    tr.add_argument("--size", type=int, default=None,
                    help="the short side a CycleGAN sees (default: a picture's own, from the training size up to 256; a "
                         "video's, the training size); a CAAE works at its training size")
    tr.add_argument("--fps", type=float, default=2.0, help="frames per second sampled from videos (0: every frame)")
    tr.add_argument("--no-temporal", dest="temporal", action="store_false",
                    help="translate video frames one by one, without the flow-guided blend against flicker")
    tr.add_argument("--flat-fills", choices=("auto", "on", "off"), default="auto",
                    help="a CycleGAN's flat fills: as the model folder says (auto), always or never")
    tr.add_argument("--runtime", choices=("auto", "onnx", "keras"), default="auto")
    tr.add_argument("--device", choices=("cpu", "cuda"), default=None,
                    help="where ONNX Runtime runs (cuda falls back to the CPU, with a warning, where it is missing)")
    tr.add_argument("--quiet", action="store_true", help="no progress bars")


def translate(args):
    from hub import translate_files
    from hub.auto import from_pretrained

    labels = None
    if args.restyle is not None:
        labels = dict(pair.split("=", 1) for pair in args.restyle.split(",") if "=" in pair)
        if not labels or len(labels) != len([p for p in args.restyle.split(",") if p.strip()]):
            raise HubError(f"--restyle {args.restyle!r}: expected TAG=VALUE[,TAG=VALUE...], e.g. medium=2d,studio=cel")
    if args.size is not None and not 16 <= args.size <= 4096:
        raise HubError(f"--size {args.size}: choose 16 to 4096 pixels")
    found = translate_files.jobs(args.inputs, args.out)
    model = from_pretrained(args.model, runtime=args.runtime, device=args.device)
    translator = translate_files.Translator(model, args.direction, labels, args.size,
                                            {"auto": None, "on": True, "off": False}[args.flat_fills])
    print(f"{len(found)} file{'s' * (len(found) != 1)} to be {translator.description} into {args.out}")
    summary = translate_files.translate_all(translator, found, args.fps, args.temporal, progress=not args.quiet)
    print(summary.report())
    if summary.failed:
        sys.exit(1)


def set_flat_fills(folder, which):
    """Store which outputs get flat fills: a CycleGAN's directions, a CAAE's label names."""
    config = read_config(folder, str(folder))
    if config.get("architecture") not in ("cyclegan", "caae"):
        raise HubError(f"{folder}: flat fills apply to a CycleGAN's or a CAAE's outputs, "
                       f"not a {config.get('architecture')}'s")
    chosen = flat_fills.chosen(which, config, str(folder))
    update_config(folder, flat_fills=chosen)
    return chosen


if __name__ == "__main__":
    main()
