"""The web app: `python app.py [options]` (`python app.py --help` lists them all), or
`gradio app.py` to reload it on every code change.

Options also come from the environment, as a Hugging Face Space sets them (a flag wins):
STYLE_CYCLEGAN (several joined by commas), STYLE_CAAE, STYLE_MAX_VIDEO_SECONDS,
STYLE_MAX_VIDEO_JOB_SECONDS, STYLE_MAX_UPLOAD, GRADIO_SERVER_NAME, GRADIO_SERVER_PORT,
GRADIO_MCP_SERVER. With nothing configured it serves the demo weights in
space/demo_models, with no network needed. Gradio's usage statistics are sent only with
GRADIO_ANALYTICS_ENABLED=True.
"""

import argparse
import logging
import os
import socket
import sys

import gradio as gr
from starlette.middleware import Middleware

from space import console
from space.handlers import VideoLimits
from space.models import load_models, offline_from_now
from space.ui import QUEUE_SIZE, build_demo
from space.payloads import BodyLimit


def parse_args(argv=None):
    env = os.environ
    parser = argparse.ArgumentParser(description="Serve the animation-style Gradio app.")
    parser.add_argument("--cyclegan", action="append",
                        help="a CycleGAN model folder or Hub repo (REPO or REPO@REVISION); repeat for several "
                             "(default: STYLE_CYCLEGAN, else the demo weights)")
    parser.add_argument("--caae", default=env.get("STYLE_CAAE") or None,
                        help="a CAAE model folder or Hub repo (default: the demo weights)")
    parser.add_argument("--host", default=env.get("GRADIO_SERVER_NAME", "127.0.0.1"),
                        help="address to listen on (0.0.0.0 for every interface)")
    parser.add_argument("--port", type=int, default=int(env.get("GRADIO_SERVER_PORT", 7860)))
    parser.add_argument("--share", action="store_true", help="also open a public gradio.live link")
    parser.add_argument("--max-video-seconds", type=float,
                        default=float(env.get("STYLE_MAX_VIDEO_SECONDS", VideoLimits.seconds)),
                        help="longest video accepted, in seconds")
    parser.add_argument("--max-video-job-seconds", type=float,
                        default=float(env.get("STYLE_MAX_VIDEO_JOB_SECONDS", VideoLimits.job_seconds)),
                        help="wall-clock time one video translation may take before it is stopped")
    parser.add_argument("--max-upload", default=env.get("STYLE_MAX_UPLOAD", "200mb"),
                        help="largest file a user may upload, e.g. 200mb (larger ones are refused with a message)")
    parser.add_argument("--runtime", choices=["auto", "keras", "onnx"], default="auto",
                        help="how to run the configured models: ONNX Runtime where a folder has an export (auto), "
                             "or Keras; the demo weights are ONNX only and always run on ONNX Runtime")
    parser.add_argument("--mcp", action="store_true",
                        default=env.get("GRADIO_MCP_SERVER", "").lower() in {"1", "true", "yes"},
                        help="also serve the public endpoints as MCP tools at /gradio_api/mcp/ (for AI agents)")
    args = parser.parse_args(argv)
    if args.cyclegan is None:  # flags replace the environment's list rather than adding to it
        args.cyclegan = [s.strip() for s in env.get("STYLE_CYCLEGAN", "").split(",") if s.strip()]
    return args


def load(args):
    """The models that `args` name (the demo weights where none is named, or one fails)."""
    models = load_models(args.cyclegan, args.caae, runtime=args.runtime)
    for loaded in models.all:
        logging.info("serving %s from %s", loaded.name, loaded.source)
    offline_from_now()
    return models


def create_demo(args, models):
    """The queued app for parsed `args`, serving loaded `models`."""
    demo = build_demo(models, VideoLimits(args.max_video_seconds, args.max_video_job_seconds))
    return demo.queue(max_size=QUEUE_SIZE, default_concurrency_limit=1)


def check_port(host, port):
    """Exit with status 2 and a message that names --port when host:port is taken."""
    try:
        family, kind, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            probe.bind(address)
    except OSError as e:
        print(f"error: cannot listen on {host}:{port} ({e.strerror or e}); "
              "another program may be using it: choose another port with --port N", file=sys.stderr)
        raise SystemExit(2) from None


def launch(demo, args):
    demo.launch(server_name=args.host, server_port=args.port, share=args.share, max_file_size=args.max_upload,
                mcp_server=args.mcp, app_kwargs={"middleware": [Middleware(BodyLimit, demo=demo)]})


if __name__ == "__main__":
    # `gradio app.py` re-runs this file on every change of the code and serves the new
    # `demo`; the models load once, and launch returns at once in those re-runs.
    ARGS = parse_args()
    console.quiet()
    if gr.NO_RELOAD:  # the first run: the port is not yet this app's own
        check_port(ARGS.host, ARGS.port)
        MODELS = load(ARGS)
    demo = create_demo(ARGS, MODELS)
    launch(demo, ARGS)
