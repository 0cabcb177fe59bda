"""The objectives: each one's trainer (networks, losses, step) and its Recipe for the run
frame (trainer.engine.run). CycleGAN and CUT, pix2pix, distillation and the CAAE, and
the loss primitives they share."""
