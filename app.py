"""The Gradio app (`python app.py`) - not built yet.

Image translation, CAAE style sliders and video come with the app issue; the hub package
it will call (from_pretrained, translate, restyle) is there. Until then this says so
plainly instead of starting a page that does nothing.
"""

import sys

MESSAGE = """\
The web app is not built yet (it comes with the app issue).

What works today:
  python -m trainer.data toyworld --out data/toyworld --count 500 --size 64
  python -m trainer.cyclegan --data data/toyworld --image-size 64 --base-filters 32 --out runs/toy
  python -m trainer.evaluate --model runs/toy/model --data data/toyworld

and, from Python:
  from hub import CycleGAN
  model = CycleGAN.from_pretrained("runs/toy/model")    # or a Hub repo id
  model.translate("photo.jpg", "3d -> 2d").save("out.png")
"""


def main():
    print(MESSAGE, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
