"""Training. trainer.objectives holds each objective's trainer and recipe (CycleGAN and
CUT, pix2pix, distillation, the CAAE); trainer.engine the machinery they share (the run
frame, the training step, callbacks, checkpoints); trainer.config their configs;
trainer.data the datasets; trainer.evaluation the measures. The commands users type are
`python -m trainer.cyclegan`, `.pix2pix`, `.distill`, `.caae`, `.evaluate`, `.figure`
and `.data`."""
