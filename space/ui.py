"""The Gradio Blocks page: Image, Style sliders, Video and About tabs, wired to
space.handlers. Public endpoints: /translate (image, direction[, model, size]),
/restyle (image, own style, one weight per label) and /translate_video (video, direction,
fps[, model, less flicker])."""

import tempfile
from pathlib import Path

import gradio as gr

from hub import video
from space import handlers, payloads

# Named MEDIUM-MOVIE.jpg (toyworld's tags), so the app knows each one's style.
EXAMPLES_FOLDER = Path(__file__).resolve().parent / "examples"
EXAMPLES = sorted(EXAMPLES_FOLDER.glob("*.jpg"), reverse=True)  # 3d first
VIDEO_EXAMPLES = sorted(EXAMPLES_FOLDER.glob("*.mp4"))
FPS_CHOICES = [("all frames", handlers.ALL_FRAMES)] + [(str(n), n) for n in range(1, handlers.MAX_FPS + 1)]
QUEUE_SIZE = 16  # waiting jobs beyond this are turned away with a "queue is full" message
IMAGE_JOBS = 2  # pictures translated or restyled at once (one per core here); videos: one at a time


def picture_input(label, elem_id=None):
    """An image upload (file, paste, webcam) whose handler gets the uploaded file's path."""
    image = gr.Image(type="filepath", image_mode=None, sources=["upload", "clipboard", "webcam"], label=label,
                     elem_id=elem_id)
    # Gradio opens the upload with Pillow before any handler runs; a file that is not an
    # image would end there as a bare "Error". (Wrapped on the instance: a subclass of a
    # component makes Gradio write a .pyi stub beside this file.)
    preprocess = image.preprocess

    def checked(payload):
        try:
            return preprocess(payload)
        except Exception:  # noqa: BLE001 - whatever Pillow raised, the user gets our reading of the file
            raise gr.Error(handlers.upload_problem(getattr(payload, "path", None),
                                                   getattr(payload, "orig_name", None))) from None

    image.preprocess = checked
    return image


def build_demo(models, video_limits=handlers.VideoLimits(), output_dir=None):
    """The app for loaded space.models.AppModels; call .queue() and .launch() on it.
    Every input accepts only files uploaded to the app (space.payloads)."""
    output_dir = Path(output_dir or tempfile.mkdtemp(prefix="animation-style-videos-"))
    with gr.Blocks(title="animation-style", delete_cache=(3600, 3600)) as demo:
        gr.Markdown("# animation-style\nTranslate pictures and videos between animation styles "
                    "(3D <-> 2D), or re-render them under a studio's label.")
        gr.Markdown(_notice(models))
        model_names = [m.name for m in models.cyclegans]
        with gr.Tab("Image"):
            _image_tab(models, model_names)
        with gr.Tab("Style sliders"):
            _style_tab(models)
        with gr.Tab("Video"):
            _video_tab(models, model_names, video_limits, output_dir)
        with gr.Tab("About"):
            gr.Markdown(about_markdown(models))
    payloads.guard_inputs(demo)
    return demo


def _model_picker(model_names):
    return gr.Dropdown(model_names, value=model_names[0], label="Model", visible=len(model_names) > 1)


def _direction_picker(models, model_names):
    directions = list(models.cyclegan(model_names[0]).model.directions.values())
    return gr.Radio(directions, value=directions[0], label="Direction")


def _update_directions(models):
    def update(model_name):
        directions = list(models.cyclegan(model_name).model.directions.values())
        return gr.update(choices=directions, value=directions[0])
    return update


def _image_tab(models, model_names):
    with gr.Row():
        model = _model_picker(model_names)
        direction = _direction_picker(models, model_names)
    with gr.Row():
        picture = picture_input("Picture", elem_id="picture")
        # type="filepath": as an input (of the before/after event) it reaches our reader,
        # with its pixel limit, rather than being decoded whole by Gradio first.
        translated = gr.Image(type="filepath", format="png", label="Translated (input size)",
                              buttons=["download"], interactive=False, elem_id="translated")
    training_size = models.cyclegans[0].model.config["image_size"]
    size = gr.Slider(training_size, handlers.MAX_DETAIL * training_size, value=training_size, step=training_size // 2,
                     label="Detail: the short side the network sees, in px (its scores are measured at the "
                           "training size; larger is sharper and slower)")
    comparison = gr.ImageSlider(type="pil", format="png", label="Before / after", interactive=False,
                                elem_id="comparison")
    button = gr.Button("Translate", variant="primary", elem_id="translate-button")
    directions = list(models.cyclegans[0].model.directions.values())
    gr.Examples([[str(p), _example_direction(p, directions)] for p in EXAMPLES],
                inputs=[picture, direction], label="Toyworld renders (not seen in training)")
    model.change(_update_directions(models), model, direction, api_visibility="private")

    def translate(image, direction, model_name=None, size=None):
        return handlers.translate_image(models, image, direction, model_name, size)

    def compare(image, result):
        return (handlers.read_picture(image), handlers.read_picture(result)) if result is not None else None

    button.click(translate, [picture, direction, model, size], translated, api_name="translate",
                 concurrency_id="images", concurrency_limit=IMAGE_JOBS).success(
        compare, [picture, translated], comparison, api_visibility="private")


def _style_tab(models):
    caae = models.caae.model
    names = handlers.style_names(caae)
    gr.Markdown("Each slider weighs one label; a mix blends styles. Every group needs some weight. "
                "The picture re-renders when a slider is released.")
    with gr.Row():
        picture = picture_input("Picture")
        restyled = gr.Image(type="pil", format="png", label="Re-rendered", buttons=["download"], interactive=False)
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
    button = gr.Button("Re-render", variant="primary")
    gr.Examples([[str(p), _example_style(p, names)] for p in EXAMPLES], inputs=[picture, own_style],
                label="Toyworld renders (not seen in training)")

    def run(image, own, *weights):
        return handlers.restyle(models, image, dict(zip(caae.label_names, weights)), own)

    inputs, outputs = [picture, own_style, *sliders], [restyled, reconstruction]
    button.click(run, inputs, outputs, api_name="restyle", concurrency_id="images", concurrency_limit=IMAGE_JOBS)
    for slider in sliders:
        slider.release(run, inputs, outputs, api_visibility="private", concurrency_id="images",
                       concurrency_limit=IMAGE_JOBS, trigger_mode="always_last")
    preset.input(lambda name: handlers.style_weights(caae, name), preset, sliders, api_visibility="private")


def _video_tab(models, model_names, limits, output_dir):
    gr.Markdown(f"Frames are sampled (2 per second by default, as in the seed project), translated and "
                f"stitched into an H.264 MP4 at the sampling rate, with the original sound. Clips up to "
                f"{limits.seconds:g} s and {limits.frames} frames; large frames are scaled to {video.MAX_SIDE} px "
                f"on the long side.")
    with gr.Row():
        model = _model_picker(model_names)
        direction = _direction_picker(models, model_names)
        fps = gr.Dropdown(FPS_CHOICES, value=2, label="Frames per second")
        steady = gr.Checkbox(value=True, label="Less flicker", elem_id="steady",
                             info="blend each frame with the previous one along the motion (optical flow)")
    with gr.Row():
        clip = gr.File(file_types=["video", ".gif"], label="Video or GIF", elem_id="clip")
        result = gr.Video(label="Translated", interactive=False, elem_id="translated-video")
    button = gr.Button("Translate video", variant="primary")
    directions = list(models.cyclegans[0].model.directions.values())
    gr.Examples([[str(p), _example_direction(p, directions), 10] for p in VIDEO_EXAMPLES], inputs=[clip, direction, fps],
                label="A toyworld camera orbit (6 s at 10 fps)")
    model.change(_update_directions(models), model, direction, api_visibility="private")

    def run(path, direction, fps, model_name=None, temporal=True, progress=gr.Progress()):
        return handlers.translate_video(models, path, direction, fps, output_dir, model_name, limits, progress,
                                        temporal)

    button.click(run, [clip, direction, fps, model, steady], result, api_name="translate_video",
                 concurrency_id="video", concurrency_limit=1)


def _example_direction(path, directions):
    """'3d -> 2d' for 3d-clay-desert.jpg, when the model's domains are toyworld's media."""
    medium = path.stem.split("-")[0]
    return next((d for d in directions if d.replace(" ", "").startswith(f"{medium}->")), directions[0])


def _example_style(path, names):
    """'3d / clay / clay-desert' for 3d-clay-desert.jpg, when the CAAE knows that style."""
    medium, _, movie = path.stem.partition("-")
    return next((n for n in names if n.split(" / ")[0] == medium and n.split(" / ")[-1] == movie), names[0])


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
