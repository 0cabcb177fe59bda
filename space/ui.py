"""The Gradio Blocks page: Image, Webcam, Style sliders, Video and About tabs, wired to
space.handlers, with examples whose results are cached at first use. Public endpoints,
also MCP tools when the app runs with --mcp (their docstrings describe them):
/translate (image, direction[, model_name, size, strength]), /restyle (image, own_style,
one named weight per label[, strength]) and /translate_video (video, direction[, fps,
model_name, less_flicker])."""

import contextlib
import inspect
import io
import keyword
import os
import re
import tempfile
from pathlib import Path

import gradio as gr
from gradio.context import get_blocks_context

from hub import model_card, video
from space import handlers, payloads, webcam
from space.console import user_error

# Named MEDIUM-MOVIE.jpg (toyworld's tags), so the app knows each one's style.
EXAMPLES_FOLDER = Path(__file__).resolve().parent / "examples"
EXAMPLES = sorted(EXAMPLES_FOLDER.glob("*.jpg"), reverse=True)  # 3d first
VIDEO_EXAMPLES = sorted(EXAMPLES_FOLDER.glob("*.mp4"))
PHOTO_EXAMPLES = sorted(EXAMPLES_FOLDER.glob("photos/*.jpg"))  # real photos (CC0, public domain): taken as 3d
PAPERS = ("[CycleGAN](https://arxiv.org/abs/1703.10593) (Zhu et al., ICCV 2017) · "
          "[CAAE](https://arxiv.org/abs/1702.08423) (Zhang et al., CVPR 2017) · "
          "[pix2pix](https://arxiv.org/abs/1611.07004) (Isola et al., CVPR 2017)")
FPS_CHOICES = [("all frames", handlers.ALL_FRAMES)] + [(str(n), n) for n in range(1, handlers.MAX_FPS + 1)]


def whole_number_dropdown(choices, **options):
    """A Dropdown of whole numbers that the API and MCP schemas call integers (Gradio's
    Dropdown calls every choice a string, so MCP clients refuse the numbers it lists). The
    instance's schema is replaced rather than the class subclassed: Gradio writes a .pyi
    file beside the module of every Component subclass."""
    dropdown = gr.Dropdown(choices, **options)
    dropdown.api_info = lambda: {"type": "integer", "enum": [value for _, value in dropdown.choices]}
    return dropdown


QUEUE_SIZE = 16  # waiting jobs beyond this are turned away with a "queue is full" message
IMAGE_JOBS = 2  # pictures translated or restyled at once (one per core here); videos and webcam streams: one at a time
# Every event that decodes a picture or a frame (translations, restyles, the before/after
# comparison, the Detail and clip previews, examples) shares IMAGE_JOBS slots.
IMAGE_WORK = {"concurrency_id": "images", "concurrency_limit": IMAGE_JOBS}
VIDEO_WORK = {"concurrency_id": "video", "concurrency_limit": 1}
# A live stream holds its slot while it runs (up to webcam.STREAM_SECONDS): one at a time,
# so that streams never take the picture and video slots; other viewers wait in the queue.
WEBCAM_WORK = {"concurrency_id": "webcam", "concurrency_limit": 1}


def picture_input(label, elem_id=None):
    """An image upload (file, paste, webcam) whose handler gets the uploaded file's path."""
    return _upload_problems_named(gr.Image(type="filepath", image_mode=None, sources=["upload", "clipboard", "webcam"],
                                           label=label, elem_id=elem_id))


def _upload_problems_named(image):
    """`image` with its preprocessing wrapped: Gradio opens an upload with Pillow before any
    handler runs, and a file that is not an image would end there as a bare "Error"; the
    user gets hub.imaging's reading of the file. (Wrapped on the instance: a subclass of a
    component makes Gradio write a .pyi stub beside this file.)"""
    preprocess = image.preprocess

    def checked(payload):
        try:
            return preprocess(payload)
        except Exception:  # noqa: BLE001 - whatever Pillow raised, the user gets our reading of the file
            raise user_error(handlers.upload_problem(getattr(payload, "path", None),
                                                   getattr(payload, "orig_name", None))) from None

    image.preprocess = checked
    return image


def analytics_opted_in():
    """Whether the person running the app asked for Gradio's usage statistics
    (GRADIO_ANALYTICS_ENABLED=True); Gradio itself sends them unless told not to."""
    return os.environ.get("GRADIO_ANALYTICS_ENABLED", "").strip().lower() == "true"


def build_demo(models, video_limits=handlers.VideoLimits(), output_dir=None):
    """The app for loaded space.models.AppModels; call .queue() and .launch() on it.
    Every input accepts only files uploaded to the app (space.payloads)."""
    output_dir = Path(output_dir or tempfile.mkdtemp(prefix="animation-style-videos-"))
    # The examples' results are cached at their first use, in a folder of this process: a
    # cache kept across starts would show the results of whatever model was served before.
    os.environ.setdefault("GRADIO_EXAMPLES_CACHE", tempfile.mkdtemp(prefix="animation-style-examples-"))
    with gr.Blocks(title="animation-style", delete_cache=(3600, 3600), analytics_enabled=analytics_opted_in()) as demo:
        gr.Markdown("# animation-style\nTranslate pictures and videos between animation styles "
                    "(3D <-> 2D), or re-render them under a studio's label.\n\n" + _links())
        gr.Markdown(_notice(models))
        model_names = [m.name for m in models.cyclegans]
        with gr.Tab("Image"):
            _image_tab(models, model_names)
        with gr.Tab("Webcam"):
            _webcam_tab(models)
        with gr.Tab("Style sliders"):
            _style_tab(models)
        with gr.Tab("Video"):
            _video_tab(models, model_names, video_limits, output_dir, demo)
        with gr.Tab("About"):
            gr.Markdown(about_markdown(models))
    payloads.guard_inputs(demo)
    return demo


def _model_picker(model_names):
    return gr.Dropdown(model_names, value=model_names[0], label="Model", visible=len(model_names) > 1)


def _direction_names(model):
    """What the Direction radio offers: '3d -> 2d', '2d -> 3d'."""
    return [d.name for d in model.directions.values()]


def _direction_picker(models, model_names):
    directions = _direction_names(models.cyclegan(model_names[0]).model)
    return gr.Radio(directions, value=directions[0], label="Direction")


def _update_directions(models):
    def update(model_name):
        directions = _direction_names(models.cyclegan(model_name).model)
        return gr.update(choices=directions, value=directions[0])
    return update


def _strength_slider(what, elem_id=None):
    return gr.Slider(0, 1, value=1, step=0.05, label=f"Style strength (0: {what}, 1: the full style)",
                     elem_id=elem_id)


def _image_tab(models, model_names):
    with gr.Row():
        model = _model_picker(model_names)
        direction = _direction_picker(models, model_names)
    with gr.Row():
        picture = picture_input("Picture", elem_id="picture")
        comparison = gr.ImageSlider(type="pil", format="png", label="Before / after (drag to compare; the download "
                                    "is the translation)", interactive=False, buttons=["download", "fullscreen"],
                                    elem_id="comparison")
    # /translate's answer, one picture at the input's size; the page shows it in the slider.
    # (type="filepath": as an input of the slider's event it reaches our reader, with its
    # pixel limit, rather than being decoded whole by Gradio first.)
    translated = gr.Image(type="filepath", format="png", label="Translated", interactive=False, visible=False,
                          elem_id="translated")
    training_size = models.cyclegans[0].model.config["image_size"]
    with gr.Row(equal_height=True):
        size = gr.Slider(training_size, handlers.MAX_DETAIL * training_size,
                         value=handlers.detail_size(None, training_size), step=training_size // 2,
                         label="Detail: the short side the network sees, in px (set from each picture; the "
                               "scores are measured at the training size; larger is sharper and slower)",
                         scale=4, elem_id="detail")
        to_training_size = gr.Button(f"Training size ({training_size} px)", size="sm", scale=1)
    strength = _strength_slider("the picture", elem_id="strength")
    button = gr.Button("Translate", variant="primary", elem_id="translate-button")
    model.change(_update_directions(models), model, direction, api_visibility="private")
    picture.upload(lambda image: handlers.detail_size(image, training_size), picture, size,
                   api_visibility="private", **IMAGE_WORK)
    to_training_size.click(lambda: training_size, None, size, api_visibility="private")

    def translate(image, direction, model_name=None, size=None, strength=1.0):
        return handlers.translate_image(models, image, direction, model_name, size, strength)

    translate.__doc__ = _translate_doc(models)

    def compare(image, result):
        return (handlers.read_picture(image), handlers.read_picture(result)) if result is not None else None

    button.click(translate, [picture, direction, model, size, strength], translated, api_name="translate",
                 **IMAGE_WORK).success(compare, [picture, translated], comparison, api_visibility="private",
                                       **IMAGE_WORK)

    def example(image, direction):
        """An example's result, as Translate gives it at the settings the example sets."""
        detail = handlers.detail_size(image, training_size)
        result = handlers.translate_image(models, image, direction, None, detail)
        return result, (handlers.read_picture(image), result), model_names[0], detail, 1.0

    directions = list(models.cyclegans[0].model.directions.values())
    _examples([[str(p), _example_direction(p, directions)] for p in EXAMPLES + PHOTO_EXAMPLES], [picture, direction],
              [translated, comparison, model, size, strength], example,
              "Toyworld renders (not seen in training) and two real photos: click one to see its result", IMAGE_WORK)


def _webcam_tab(models):
    light = models.cyclegans[0]
    gr.Markdown(f"Your camera, translated live by **{light.name}** at {webcam.STREAM_SIDE} px on the short side, "
                f"frame by frame. A stream runs up to {webcam.STREAM_SECONDS} s, one viewer at a time; others "
                "wait in the queue.")
    with gr.Row():
        direction = _direction_picker(models, [light.name])
        steady = gr.Checkbox(value=True, label="Less flicker", elem_id="webcam-steady",
                             info="blend each frame with the previous one along the motion (optical flow)")
    with gr.Row():
        # type="filepath": a frame reaches our reader, with its pixel limit, not Gradio's decoder
        camera = _upload_problems_named(gr.Image(sources=["webcam"], streaming=True, type="filepath",
                                                 label="Camera", elem_id="webcam"))
        live = gr.Image(format="jpeg", label="Translated", interactive=False, elem_id="webcam-translated")
    rate = gr.Markdown(elem_id="webcam-rate")
    stream = gr.State()

    def translate_frame(frame, direction, less_flicker, state):
        return webcam.translate_stream_frame(models, frame, direction, less_flicker, state)

    camera.stream(translate_frame, [camera, direction, steady, stream], [live, stream, rate],
                  stream_every=webcam.STREAM_EVERY_S, time_limit=webcam.STREAM_SECONDS, show_progress="hidden",
                  api_visibility="private", **WEBCAM_WORK)


def _style_tab(models):
    caae = models.caae.model
    names = handlers.style_names(caae)
    gr.Markdown("Each slider weighs one label; a mix blends styles. A group with no weight at all takes an even "
                "blend of its values. The picture re-renders when a slider is released or a style is picked.")
    with gr.Row():
        picture = picture_input("Picture")
        restyled = gr.Image(type="pil", format="png", label="Re-rendered", buttons=["download", "share", "fullscreen"],
                            interactive=False)
        reconstruction = gr.Image(type="pil", format="png", label="Reconstruction (its own style)",
                                  interactive=False)
    with gr.Row():
        own_style = gr.Dropdown(names, value=names[0], label="The picture's own style (for the reconstruction)")
        preset = gr.Dropdown(names, value=names[0], label="Set the sliders to a training style")
    sliders = []
    start = handlers.style_weights(caae, names[0])
    for tag, values in caae.label_space.groups:
        # Long groups (toyworld's 16 movies) start folded.
        with gr.Accordion(f"{tag} ({len(values)})", open=len(values) <= 6):
            with gr.Row():
                for value in values:
                    sliders.append(gr.Slider(0, 1, value=start[len(sliders)], step=0.05, label=value))
                    sliders[-1].message_name = f"the {tag} slider {value}"
    strength = _strength_slider("its own style")
    button = gr.Button("Re-render", variant="primary")

    def restyle(image, own_style, *weights_then_strength):
        *weights, strength = weights_then_strength
        return handlers.restyle(models, image, dict(zip(caae.label_names, weights)), own_style, strength)

    _name_restyle_parameters(restyle, caae)

    def rerender(image, *values):
        """A slider or preset changed: re-render the picture there is, if any."""
        return (gr.skip(), gr.skip()) if image is None else restyle(image, *values)

    inputs, outputs = [picture, own_style, *sliders, strength], [restyled, reconstruction]
    button.click(restyle, inputs, outputs, api_name="restyle", **IMAGE_WORK)
    for slider in [*sliders, strength]:
        slider.release(rerender, inputs, outputs, api_visibility="private", trigger_mode="always_last", **IMAGE_WORK)
    preset.input(lambda name: handlers.style_weights(caae, name), preset, sliders, api_visibility="private").then(
        rerender, inputs, outputs, api_visibility="private", **IMAGE_WORK)

    def example(image, own):
        """An example's result, under the sliders' starting style at full strength."""
        return (*handlers.restyle(models, image, dict(zip(caae.label_names, start)), own), *start, 1.0)

    _examples([[str(p), _example_style(p, names)] for p in EXAMPLES + PHOTO_EXAMPLES], [picture, own_style],
              [restyled, reconstruction, *sliders, strength], example,
              f"Toyworld renders (not seen in training) and two real photos, re-rendered as {names[0]}", IMAGE_WORK)


def _video_tab(models, model_names, limits, output_dir, demo):
    gr.Markdown(f"Frames are sampled (2 per second by default, as in the seed project), translated and "
                f"stitched into an H.264 MP4 at the sampling rate, with the original sound. Clips up to "
                f"{limits.seconds:g} s and {limits.frames} frames; large frames are scaled to {video.MAX_SIDE} px "
                f"on the long side.")
    with gr.Row():
        model = _model_picker(model_names)
        direction = _direction_picker(models, model_names)
        fps = whole_number_dropdown(FPS_CHOICES, value=2, label="Frames per second")
        steady = gr.Checkbox(value=True, label="Less flicker", elem_id="steady",
                             info="blend each frame with the previous one along the motion (optical flow)")
    with gr.Row():
        with gr.Column():
            # MPEG transport streams (camcorders, broadcasts) by name: Python's mimetypes calls .ts TypeScript
            clip = gr.File(file_types=["video", ".gif", ".ts", ".mts", ".m2ts"], label="Video or GIF", elem_id="clip")
            first_frame = gr.Image(type="pil", label="Its first frame", interactive=False, height=240,
                                   elem_id="first-frame")
            clip_facts = gr.Markdown(elem_id="clip-facts")
        # At most the page's height: a small clip is not blown up to the column's width.
        result = gr.Video(label="Translated", interactive=False, height=480, elem_id="translated-video",
                          buttons=["download", "share"])
    button = gr.Button("Translate video", variant="primary")
    model.change(_update_directions(models), model, direction, api_visibility="private")

    def preview(path, fps):
        return handlers.video_preview(path, limits, fps)

    clip.upload(preview, [clip, fps], [first_frame, clip_facts], api_visibility="private", **IMAGE_WORK)
    fps.input(preview, [clip, fps], [first_frame, clip_facts], api_visibility="private", **IMAGE_WORK)

    def translate_video(video, direction, fps=2, model_name=None, less_flicker=True, progress=gr.Progress(),
                        request: gr.Request = None):
        return handlers.translate_video(models, video, direction, fps, output_dir, model_name, limits, progress,
                                        less_flicker, cancelled=_client_gone(demo, request))

    translate_video.__doc__ = _translate_video_doc(models, limits)
    button.click(translate_video, [clip, direction, fps, model, steady], result, api_name="translate_video",
                 **VIDEO_WORK)

    def example(path, direction, fps):
        """An example's result, as Translate video gives it with the example's settings."""
        return (handlers.translate_video(models, path, direction, fps, output_dir, None, limits),
                *handlers.video_preview(path, limits, fps), model_names[0], True)

    directions = list(models.cyclegans[0].model.directions.values())
    _examples([[str(p), _example_direction(p, directions), 10] for p in VIDEO_EXAMPLES], [clip, direction, fps],
              [result, first_frame, clip_facts, model, steady], example, "A toyworld camera orbit (6 s at 10 fps)",
              VIDEO_WORK)


def _client_gone(demo, request):
    """A function that says whether the client of `request` has disconnected. Gradio then
    marks its running job not alive (Queue.clean_events), but cannot stop a handler that
    runs in a thread: a video job asks this between frames and stops itself."""
    session = getattr(request, "session_hash", None)

    def gone():
        queue = getattr(demo, "_queue", None)
        return session is not None and queue is not None and any(
            job.session_hash == session and not job.alive for jobs in queue.active_jobs if jobs for job in jobs)
    return gone


def _examples(examples, inputs, outputs, fn, label, work):
    """Examples that show their result when clicked: fn's outputs, computed at the first
    click and cached (Gradio prints where; the console is kept for what concerns the user).
    work: IMAGE_WORK or VIDEO_WORK, the limit that the first click's computation shares."""
    with contextlib.redirect_stdout(io.StringIO()):
        shown = gr.Examples(examples, inputs=inputs, outputs=outputs, fn=fn, cache_examples=True,
                            cache_mode="lazy", label=label)
    # The event that computes a result (gr.Examples takes no concurrency arguments of its own).
    computes = get_blocks_context().fns[shown.cache_event["id"]]
    computes.concurrency_id, computes.concurrency_limit = work["concurrency_id"], work["concurrency_limit"]


def _translate_doc(models):
    directions = ", ".join(repr(name) for name in _direction_names(models.cyclegans[0].model))
    training_size = models.cyclegans[0].model.config["image_size"]
    return f"""Translate a picture into another animation style with a CycleGAN.

    Args:
        image: the picture to translate (an uploaded file).
        direction: which way to translate, one of {directions}.
        model_name: the model to run (default: the first one served): {', '.join(repr(m.name) for m in models.cyclegans)}.
        size: the short side, in pixels, that the network sees (default {handlers.detail_size(None, training_size)}, the page's start; its scores were measured at its training size, {training_size}); larger is sharper and slower.
        strength: 0 gives the picture back, 1 (the default) the full translation, between them a blend.

    Returns:
        The translated picture, at the input's size.
    """


def _translate_video_doc(models, limits):
    directions = ", ".join(repr(name) for name in _direction_names(models.cyclegans[0].model))
    return f"""Translate a video or GIF into another animation style, frame by frame, with its sound.

    Args:
        video: the clip (an uploaded file), at most {limits.seconds:g} s.
        direction: which way to translate, one of {directions}.
        fps: frames per second to sample and write, 1 to {handlers.MAX_FPS}, or {handlers.ALL_FRAMES} for every frame (default 2).
        model_name: the model to run (default: the first one served).
        less_flicker: blend each frame with the previous one along the motion (default true).

    Returns:
        The translated clip, an H.264 MP4 at the sampling rate.
    """


def _name_restyle_parameters(restyle, caae):
    """Give /restyle's API one named parameter per label (medium_2d, studio_cel, ...), in
    the page's order, rather than Gradio's param_2, param_3, ... for *args, and a docstring
    naming them."""
    names = api_label_names(caae)
    Parameter = inspect.Parameter
    restyle.__signature__ = inspect.Signature(
        [Parameter("image", Parameter.POSITIONAL_OR_KEYWORD), Parameter("own_style", Parameter.POSITIONAL_OR_KEYWORD),
         *[Parameter(name, Parameter.POSITIONAL_OR_KEYWORD) for name in names],
         Parameter("strength", Parameter.POSITIONAL_OR_KEYWORD, default=1.0)])
    styles = ", ".join(repr(n) for n in handlers.style_names(caae))
    labels = "\n".join(f"        {name}: the weight of {label}, 0 to 1." for name, label in zip(names, caae.label_names))
    restyle.__doc__ = f"""Re-render a picture under a mix of the CAAE's labels (medium, studio, movie, ...).

    Args:
        image: the picture to re-render (an uploaded file).
        own_style: the picture's own style, for the reconstruction and for strength below 1: one of {styles}.
{labels}
        strength: 0 renders the picture under its own style, 1 (the default) under the weights, between them a blend.

    Returns:
        The picture re-rendered under the weighted labels, and its reconstruction under its own style.
    """


def api_label_names(caae):
    """'medium=2d' -> 'medium_2d', 'movie=cel-desert' -> 'movie_cel_desert': /restyle's
    parameter name for each label, unique and a Python identifier."""
    names = []
    for label in caae.label_names:
        name = re.sub(r"\W+", "_", label).strip("_").lower() or "label"
        name = f"label_{name}" if name[0].isdigit() or keyword.iskeyword(name) else name
        while name in names or name in {"image", "own_style", "strength"}:
            name += "_"
        names.append(name)
    return names


def _example_direction(path, directions):
    """'3d -> 2d' for 3d-clay-desert.jpg, when the model's domains are toyworld's media.
    directions: the model's Directions."""
    medium = path.stem.split("-")[0]
    return next((d for d in directions if d.source == medium), directions[0]).name


def _example_style(path, names):
    """'3d / clay / clay-desert' for 3d-clay-desert.jpg, when the CAAE knows that style; a
    photo's is the first 3d style."""
    medium, _, movie = path.stem.partition("-")
    return next((n for n in names if n.split(" / ")[0] == medium and n.split(" / ")[-1] == movie),
                next((n for n in names if n.startswith("3d")), names[0]))


def _links():
    """The papers, and the code where the project's metadata names it (none is guessed)."""
    code = model_card.project_links()
    return " · ".join([f"[{label}]({url})" for label, url in code.items()] + [f"Papers: {PAPERS}"])


def about_markdown(models):
    lines = ["## Loaded models", ""]
    for loaded in models.all:
        where = loaded.source + (f" @ `{loaded.revision}`" if loaded.revision else "")
        lines += [f"### {loaded.name}", f"- from: {where}"]
        lines += [f"- {key}: {value}" for key, value in loaded.facts.items()]
        lines.append("")
    if models.notices:
        lines += ["## Notices", *[f"- {n}" for n in models.notices]]
    return "\n".join(lines)


def _notice(models):
    parts = []
    demo_sizes = sorted({m.model.config["image_size"] for m in models.all if m.demo})
    if demo_sizes:
        parts.append("**Demo weights**: the models marked *demo* were trained by this project on "
                     f"synthetic toyworld scenes ({' and '.join(map(str, demo_sizes))} px, 3d and 2d renders "
                     "of the same simple scenes), not on films. Serve studio weights with `python app.py "
                     "--cyclegan USER/REPO --caae USER/REPO` (or the Space variables `STYLE_CYCLEGAN`, "
                     "`STYLE_CAAE`).")
    parts += [f"**Notice**: {n}" for n in models.notices]
    return "\n\n".join(parts)
