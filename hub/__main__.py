"""`python -m hub push FOLDER REPO_ID`: upload a model folder (a training run's
RUN_DIR/model, or any save_pretrained folder) to the Hugging Face Hub in one commit.
`python -m hub float16 FOLDER`: store its weights as float16 (half the size).
`python -m hub onnx FOLDER`: add the ONNX exports it lacks (a folder trained on JAX).
`python -m hub flat-fills FOLDER a2b|b2a|none ...`: which directions of a CycleGAN folder
get flat fills (hub.flat_fills) by default; for a CAAE folder, which label names
(`python -m hub flat-fills FOLDER studio=cel`)."""

import argparse
import sys

from hub import flat_fills
from hub.errors import HubError
from hub.model_folder import add_onnx, read_config, store_float16, update_config
from hub.push import push_folder


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
    args = parser.parse_args(argv)
    try:
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
        url = push_folder(args.folder, args.repo_id, private=args.private or None, token=args.token)
    except HubError as e:
        sys.exit(f"error: {e}")
    print(f"pushed {args.folder} to {args.repo_id}: {url}")


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
