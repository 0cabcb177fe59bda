import pytest

from trainer.data import toyworld_dataset


@pytest.fixture(scope="session")
def toyworld_64(tmp_path_factory):
    """A small paired toyworld dataset at 64 px: 30 scenes (3 in the test split)."""
    out = tmp_path_factory.mktemp("toyworld64")
    toyworld_dataset.generate(out, count=30, size=64, seed=3, workers=1, progress=False)
    return out
