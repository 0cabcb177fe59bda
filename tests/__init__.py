"""The test suite: one file per module family; tiny models train for real."""
