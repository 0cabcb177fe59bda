"""Restyle targets for the CAAE (--paired-targets): for a training image, an image of the
same content under another label, which the decoder must render from the first image's
latents under that label.

Without targets, nothing tells the decoder what an image looks like under another label
but the discriminators and the style classifier, which a colour change already satisfies
(the 64 px CAAE's soft restyling). Where the data pairs its images, as toyworld's "scene"
tag pairs each scene's 3d and 2d renders, the pair itself is the target: pix2pix's
supervision, given to the label flip.
"""

import logging

log = logging.getLogger(__name__)


def paired_targets(rows, pair_tag, label_tags):
    """The index in `rows` of each row's target, or None: the first other row with the same
    `pair_tag` value whose labels (the values of `label_tags`) differ from its own."""
    if rows and pair_tag not in rows[0]:
        raise ValueError(f"--paired-targets {pair_tag}: the data's rows have no {pair_tag!r} tag "
                         f"(they have {', '.join(sorted(rows[0]))})")
    groups = {}
    for i, row in enumerate(rows):
        groups.setdefault(row.get(pair_tag), []).append(i)
    targets = []
    for row in rows:
        own = tuple(str(row[t]) for t in label_tags)
        partners = [j for j in groups[row.get(pair_tag)] if tuple(str(rows[j][t]) for t in label_tags) != own]
        targets.append(partners[0] if partners else None)
    found = sum(t is not None for t in targets)
    if not found:
        raise ValueError(f"--paired-targets {pair_tag}: no two training images share a {pair_tag} "
                         f"under different labels")
    log.info("paired targets: %d of %d training images have a %s pair under other labels", found, len(rows), pair_tag)
    return targets
