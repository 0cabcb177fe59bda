"""Training: datasets (trainer.data), the CycleGAN, CUT, pix2pix and CAAE trainers, their
losses, evaluation (paired metrics, outlines, style scores, flicker) and the figure."""
