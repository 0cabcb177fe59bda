"""`python -m trainer.evaluate`: evaluation of a CycleGAN or a CAAE from the command line
(the measures are in trainer.evaluation).

`python -m trainer.evaluate --model RUN_DIR/model --data DIR --domain-a medium=3d
--domain-b medium=2d [--split test] [--out metrics.json] [--record]`: paired metrics and
the look where the data has pairs (trainer.evaluation.paired), style scores always
(trainer.evaluation.style_scores): a style classifier's verdict on the translations, FID
and KID against the real target images, and for a CAAE per label and per slider.

`python -m trainer.evaluate video --model RUN_DIR/model --data DIR [--video FILE ...]
[--direction a2b] [--stride N] [--out flicker.json] [--record]`: video flicker
(trainer.evaluation.flicker).
"""

import argparse
import sys
from pathlib import Path

from hub import auto, flat_fills, model_folder
from hub.atomic import write_json
from hub.cyclegan import CycleGAN
from hub.errors import HubError, VideoError
from trainer.evaluation import flicker, paired, style_scores


def main(argv=None):
    """Paired metrics and style scores; with `video` first, the flicker (video_main)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["video"]:
        return video_main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m trainer.evaluate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="model folder (RUN_DIR/model) or Hub repo id")
    parser.add_argument("--data", required=True, help="dataset folder (paired metrics need toyworld's scene tags)")
    parser.add_argument("--domain-a", default=None,
                        help="tag filter of domain A (default: a CycleGAN's own, medium=3d for a CAAE)")
    parser.add_argument("--domain-b", default=None,
                        help="tag filter of domain B (default: a CycleGAN's own, medium=2d for a CAAE)")
    parser.add_argument("--split", default="test")
    parser.add_argument("--size", type=int, default=None, help="evaluation size (default: training size)")
    parser.add_argument("--no-style", action="store_true", help="paired metrics only: no classifier, FID or KID")
    parser.add_argument("--classifier-tag", default=None,
                        help="the tag the style classifier learns (default: the tag the two domains differ in)")
    parser.add_argument("--no-fid", action="store_true", help="style classifier only: no InceptionV3 FID/KID")
    parser.add_argument("--flat-fills", nargs="+", default=None, metavar="WHICH",
                        help="the outputs that get flat fills (hub.flat_fills): a CycleGAN's directions (a2b, "
                             "b2a), a CAAE's label names (studio=cel), or none (default: as the folder says)")
    parser.add_argument("--out", default=None, help="write the metrics as JSON here")
    parser.add_argument("--record", action="store_true",
                        help="also store the metrics in the (local) model folder's config.json and model card")
    args = parser.parse_args(argv)
    try:
        if args.record and not Path(args.model).is_dir():
            raise ValueError("--record needs a local model folder (download it, record, then push it)")
        model = auto.from_pretrained(args.model)
        if args.flat_fills is not None:
            directions = flat_fills.chosen(args.flat_fills, model.config, "--flat-fills")
            if args.record and set(directions) != set(model.flat_fills):
                raise ValueError("--record stores how the folder serves: set its flat fills first "
                                 f"(python -m hub flat-fills {args.model} {' '.join(directions) or 'none'})")
            model.config["flat_fills"] = directions  # this run's setting; the folder keeps its own
        # A CAAE has no domains of its own: it is scored on the toyworld media by default.
        results = paired.evaluate_all(model, args.data, args.domain_a or model.config.get("domain_a", "medium=3d"),
                                      args.domain_b or model.config.get("domain_b", "medium=2d"), args.split,
                                      args.size, not args.no_style, args.classifier_tag,
                                      False if args.no_fid else None)
    except (ValueError, FileNotFoundError, HubError) as e:
        sys.exit(f"error: {e}")
    print(paired.format_table(results))
    if "style" in results:
        print(style_scores.format_table(results["style"]))
    elif "style_unavailable" in results:
        print(f"no style scores: {results['style_unavailable']}")
    if args.out:
        write_json(args.out, results)
        print(f"metrics written to {args.out}")
    if args.record:
        model_folder.update_config(args.model, evaluation={**results, "dataset": Path(args.data).name})
        print(f"metrics recorded in {args.model}/config.json and its model card")
    return results


def video_main(argv):
    """`python -m trainer.evaluate video ...`: the flicker of a CycleGAN's translations."""
    parser = argparse.ArgumentParser(prog="python -m trainer.evaluate video", description=flicker.__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="CycleGAN model folder (RUN_DIR/model) or Hub repo id")
    parser.add_argument("--data", default=None, help="toyworld dataset with orbit clips, or a clips folder")
    parser.add_argument("--video", nargs="*", default=[], help="video files, sampled at --fps")
    parser.add_argument("--fps", type=float, default=2.0, help="sampling rate of --video files (default 2)")
    parser.add_argument("--direction", default="a2b", help="a2b, b2a or a name such as '3d -> 2d'")
    parser.add_argument("--stride", type=int, default=1, help="use every N-th frame (faster motion)")
    parser.add_argument("--out", default=None, help="write the results as JSON here")
    parser.add_argument("--record", action="store_true",
                        help="also store the summary in the (local) model folder's config.json and card")
    args = parser.parse_args(argv)
    try:
        if not args.data and not args.video:
            raise ValueError("give --data (a dataset with clips) or --video files")
        if args.record and not Path(args.model).is_dir():
            raise ValueError("--record needs a local model folder (download it, record, then push it)")
        model = CycleGAN.from_pretrained(args.model)
        direction = model.direction(args.direction)
        domains = (model.config["domain_a"], model.config["domain_b"])
        if direction.key == "b2a":
            domains = domains[::-1]
        clips = flicker.dataset_clips(args.data, *domains) if args.data else []
        clips += flicker.video_clips(args.video, args.fps)
        results = flicker.evaluate_flicker(model, clips, direction.key, args.stride)
    except (ValueError, FileNotFoundError, HubError, VideoError) as e:
        sys.exit(f"error: {e}")
    results["direction"] = direction.name
    print(flicker.format_table(results))
    if args.out:
        write_json(args.out, results)
        print(f"results written to {args.out}")
    if args.record:
        model_folder.update_config(args.model, flicker={**results["summary"], "direction": results["direction"],
                                                        "stride": args.stride,
                                                        "clips": sorted(results["clips"]),
                                                        "dataset": Path(args.data).name if args.data else None})
        print(f"flicker recorded in {args.model}/config.json and its model card")
    return results


if __name__ == "__main__":
    main()
