"""Several optimizers, each stepping its own networks, seen by Keras' `fit` as one.

The CAAE's discriminators start only after the autoencoder's pretraining, so each needs an
Adam whose step count (and so its bias correction) starts with it: one Adam shared with the
autoencoder would make their first steps ~16x too large (beta_1 0.5, beta_2 0.999). Keras'
JAX `fit` carries one optimizer's variables through its compiled step; this optimizer's
variables are its members', in order, so that works on both backends.
"""

import keras


class OptimizerGroups(keras.optimizers.Optimizer):
    def __init__(self, optimizers, groups, name="optimizer_groups"):
        """optimizers[k] steps the variables in groups[k]. A group that gets no gradient in a
        step is left alone: its optimizer's step count does not advance."""
        if len(optimizers) != len(groups):
            raise ValueError(f"{len(groups)} variable groups need as many optimizers, got {len(optimizers)}")
        # The members keep their own learning rates; this one only fills the base class's slot.
        super().__init__(learning_rate=float(keras.ops.convert_to_numpy(optimizers[0].learning_rate)), name=name)
        self.members = list(optimizers)
        self.groups = [list(group) for group in groups]
        for optimizer, group in zip(self.members, self.groups):
            if not optimizer.built:
                optimizer.build(group)
        super().build([v for group in self.groups for v in group])

    def build(self, variables):
        """Built in __init__, on the groups' variables: Keras may call this again."""
        self._check_variables_are_known(variables)

    @property
    def variables(self):
        return [v for optimizer in self.members for v in optimizer.variables]

    @property
    def iterations(self):
        """The first member's step count: the one that steps every batch."""
        return self.members[0].iterations

    def apply(self, grads, trainable_variables=None):
        variables = self._trainable_variables if trainable_variables is None else list(trainable_variables)
        grad_of = {id(v): g for g, v in zip(grads, variables)}
        for optimizer, group in zip(self.members, self.groups):
            group_grads = [grad_of.get(id(v)) for v in group]
            if any(g is not None for g in group_grads):
                optimizer.apply(group_grads, group)
