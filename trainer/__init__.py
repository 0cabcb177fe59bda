"""Training: datasets, losses, the CycleGAN trainer and evaluation."""
