"""The seed's training step, as the TF CycleGAN tutorial wrote it and the seed report ran
it: the baseline every training-speed figure is a ratio to.

One `tf.function` (no XLA) of batch 1, float32: six generator passes and four
discriminator passes under one persistent tape, then four `tape.gradient` calls and four
Adam optimizers. BCE losses, no history pool, no jitter inside the step (the tutorial's
happens in tf.data). The networks are the project's (hub.nets), which at base 64 are the
tutorial's U-Net and PatchGAN; tensorflow-addons' InstanceNormalization is gone, and
GroupNormalization(groups=-1) computes the same thing.
"""

import keras
import tensorflow as tf

from hub import nets
from trainer.objectives import losses


def seed_train_step(image_size=256, base_filters=64, generator="unet"):
    """A compiled step(real_x, real_y) -> gen_g loss, with fresh networks and optimizers."""
    keras.utils.set_random_seed(0)
    generator_g, generator_f = (nets.build_generator(generator, image_size, base_filters, name=name)
                                for name in ("generator_g", "generator_f"))
    discriminator_x, discriminator_y = (nets.patchgan_discriminator(base_filters, name=name)
                                        for name in ("discriminator_x", "discriminator_y"))
    optimizers = [keras.optimizers.Adam(2e-4, beta_1=0.5) for _ in range(4)]

    @tf.function
    def train_step(real_x, real_y):
        with tf.GradientTape(persistent=True) as tape:
            fake_y = generator_g(real_x, training=True)
            cycled_x = generator_f(fake_y, training=True)
            fake_x = generator_f(real_y, training=True)
            cycled_y = generator_g(fake_x, training=True)
            same_x = generator_f(real_x, training=True)
            same_y = generator_g(real_y, training=True)
            disc_real_x = discriminator_x(real_x, training=True)
            disc_real_y = discriminator_y(real_y, training=True)
            disc_fake_x = discriminator_x(fake_x, training=True)
            disc_fake_y = discriminator_y(fake_y, training=True)
            total_cycle = losses.cycle_loss(real_x, cycled_x) + losses.cycle_loss(real_y, cycled_y)
            gen_g_loss = (losses.generator_adversarial_loss(disc_fake_y) + total_cycle
                          + losses.identity_loss(real_y, same_y))
            gen_f_loss = (losses.generator_adversarial_loss(disc_fake_x) + total_cycle
                          + losses.identity_loss(real_x, same_x))
            disc_x_loss = losses.discriminator_loss(disc_real_x, disc_fake_x)
            disc_y_loss = losses.discriminator_loss(disc_real_y, disc_fake_y)
        for loss, net, optimizer in zip((gen_g_loss, gen_f_loss, disc_x_loss, disc_y_loss),
                                        (generator_g, generator_f, discriminator_x, discriminator_y), optimizers):
            grads = tape.gradient(loss, net.trainable_variables)
            optimizer.apply_gradients(zip(grads, net.trainable_variables))
        return gen_g_loss

    return train_step
