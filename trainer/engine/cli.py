"""The trainers' command lines, built from their config classes without TensorFlow, so
that `python -m trainer.cyclegan --help` answers at once: the entry modules
(trainer/cyclegan.py and the others) answer it before they import their objective, which
imports Keras."""

import argparse
import ast
import importlib
import importlib.util
import sys
from pathlib import Path

from trainer import config as config_lib


def build_parser(module, doc, config_cls):
    """The config's --flags, plus --out, --resume, --from-epoch and --push-to-hub."""
    default_out = f"runs/{module.rsplit('.', 1)[-1]}"
    parser = argparse.ArgumentParser(prog=f"python -m {module}", description=doc,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    config_lib.add_flags(parser, config_cls)
    parser.add_argument("--out", default=default_out, help=f"run folder (default: {default_out})")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run in --out from its last checkpoint")
    parser.add_argument("--from-epoch", type=int, default=None, metavar="N",
                        help="with --resume: continue from the checkpoint kept at the end of epoch N "
                             "(--save-every-epochs) instead of the last one")
    parser.add_argument("--push-to-hub", metavar="REPO_ID", default=None,
                        help="at the end, upload RUN_DIR/model to this Hugging Face Hub repo (token: "
                             "HF_TOKEN or `hf auth login`); if that fails the folder stays for "
                             "`python -m hub push`")
    return parser


def command(module, objective_module, config_cls):
    """main(argv=None) of the entry module `module`: `--help` is answered from the config
    class and `objective_module`'s docstring, read from its source without importing it;
    anything else runs `objective_module.main(argv)`."""
    def main(argv=None):
        argv = sys.argv[1:] if argv is None else list(argv)
        if any(arg in ("-h", "--help") for arg in argv):
            source = Path(importlib.util.find_spec(objective_module).origin).read_text()
            build_parser(module, ast.get_docstring(ast.parse(source)), config_cls).parse_args(["--help"])
        importlib.import_module(objective_module).main(argv)
    return main
