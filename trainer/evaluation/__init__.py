"""What `python -m trainer.evaluate` measures (trainer.evaluate is its command line):

- paired: L1, PSNR, SSIM against toyworld's pairs, beside identity, and the look;
- outlines: outline precision, recall and F1, edge sharpness and flat texture;
- style_scores: a style classifier's verdict, FID and KID, a CAAE's labels and sliders;
  style_classifier and style_metrics (FID, KID on InceptionV3 features) serve it;
- flicker: the warping error of translated video, per frame and in the temporal mode;
- image_metrics and test_images: the pixel metrics, and the test images decoded once.

Keras and numpy only, no TensorFlow: evaluation runs on every Keras backend.
"""
