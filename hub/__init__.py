"""What other projects import: `from hub import CycleGAN, CAAE`, then
`from_pretrained(folder_or_repo_id)` and `translate` / `restyle`."""

__all__ = ["CAAE", "CycleGAN", "Direction"]


def __getattr__(name):
    # Imported on first use, so that `hub.nets` alone (Keras only) loads without
    # huggingface_hub, Pillow or ONNX, as on a bare GPU machine.
    if name == "CycleGAN":
        from hub.cyclegan import CycleGAN
        return CycleGAN
    if name == "CAAE":
        from hub.caae import CAAE
        return CAAE
    if name == "Direction":
        from hub.directions import Direction
        return Direction
    raise AttributeError(f"module 'hub' has no attribute {name!r}")
