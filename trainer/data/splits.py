"""Train/test splits by contiguous blocks of frames, since neighbouring frames are near
duplicates and a frame-by-frame split leaks (used by `prepare` and by folders of pictures
without a manifest, trainer.data.folders)."""

from bisect import bisect_left


def split_blocks(frames, block, test_fraction, gap):
    """{frame: 'train' | 'test' | None (left out)} for frame numbers in movie order, and
    the block size used: a movie shorter than one cycle of blocks (`block` x 1/test_fraction
    frames: it would get no test block at all) gets blocks scaled down to give it two."""
    every = max(2, round(1 / test_fraction)) if test_fraction > 0 else 0
    if every and len(frames) < block * every:
        block = max(1, len(frames) // (2 * every))
    split = {frame: "test" if every and (i // block) % every == every - 1 else "train"
             for i, frame in enumerate(frames)}
    tests = sorted(f for f, s in split.items() if s == "test")
    for frame, s in split.items():
        if s == "train" and tests:
            i = bisect_left(tests, frame)
            nearest = min(abs(frame - tests[j]) for j in (i - 1, i) if 0 <= j < len(tests))
            if nearest <= gap:
                split[frame] = None
    return split, block
