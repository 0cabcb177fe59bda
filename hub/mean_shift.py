"""OpenCV's pyrMeanShiftFiltering (imgproc/segmentation.cpp) in numpy, step for step and
in the same integer arithmetic, so that flat fills (hub.flat_fills) give the same pixels in
the core install, which has no OpenCV, as in the app. With OpenCV installed, hub.flat_fills
calls OpenCV's own, which is faster.

The algorithm: a Gaussian pyramid of the image (pyrDown); at the coarsest level every pixel
climbs to its mode by mean shift (the mean position and colour of the source pixels within
`spatial_radius` and `colour_radius` of its current position and colour, up to 5 times, or
until it moves by at most 1); each finer level starts from the coarser result (pyrUp) and
redoes only the pixels near a colour edge of it.
"""

import numpy as np

MAX_ITERATIONS = 5  # OpenCV's default TermCriteria(MAX_ITER + EPS, 5, 1)
EPSILON = 1.0
CHUNK = 16384  # pixels per vectorised step: bounds the (pixels x window x 3) arrays to ~20 MB


def _reflect101(index, size):
    """OpenCV's BORDER_REFLECT_101 for indices at most one size outside [0, size)."""
    index = np.where(index < 0, -index, index)
    return np.where(index >= size, 2 * size - 2 - index, index)


def pyr_down(image):
    """cv2.pyrDown: 5-tap [1 4 6 4 1] Gaussian both ways (reflect-101 borders), every other
    pixel, (sum + 128) >> 8."""
    h, w = image.shape[:2]
    taps = np.array([1, 4, 6, 4, 1], np.int32)

    def blur_and_pick(array, axis, size):
        centres = 2 * np.arange((size + 1) // 2)
        return sum(t * np.take(array, _reflect101(centres + d, size), axis=axis)
                   for t, d in zip(taps, range(-2, 3)))

    rows = blur_and_pick(image.astype(np.int32), 1, w)
    return ((blur_and_pick(rows, 0, h) + 128) >> 8).astype(np.uint8)


def pyr_up(image, height, width):
    """cv2.pyrUp to (height, width): even outputs src[x-1] + 6 src[x] + src[x+1], odd ones
    4 (src[x] + src[x+1]), reflect-101 on the left and top, the edge repeated on the right and
    bottom, (sum + 32) >> 6."""
    def spread(array, axis):
        size = array.shape[axis]
        x = np.arange(size)
        left = np.take(array, _reflect101(x - 1, size), axis=axis)
        centre = array
        right = np.take(array, np.minimum(x + 1, size - 1), axis=axis)
        even, odd = left + 6 * centre + right, 4 * (centre + right)
        out = np.stack([even, odd], axis=axis + 1)
        shape = list(array.shape)
        shape[axis] *= 2
        return out.reshape(shape)

    out = (spread(spread(image.astype(np.int32), 1), 0) + 32) >> 6
    if out.shape[0] < height:  # an odd size: the last row or column repeats the one before
        out = np.concatenate([out, out[-1:]], axis=0)
    if out.shape[1] < width:
        out = np.concatenate([out, out[:, -1:]], axis=1)
    return out[:height, :width].astype(np.uint8)


def _edge_mask(coarse, height, width, colour_radius_sq):
    """Where a finer level is recomputed: OpenCV marks (2i + 1, 2j - 1) for each inner pixel
    (i, j) of the coarser result that differs from a neighbour by colour_radius_sq or more
    (squared, at least 16), then dilates the marks by a 3 x 3 square. (The row is 2i + 1, not
    the 2i - 1 its source suggests: measured against OpenCV 4 and 5.)"""
    c = coarse.astype(np.int32)
    h1, w1 = c.shape[:2]
    inner = c[1:h1 - 1, 1:w1 - 1]
    differs = np.zeros(inner.shape[:2], bool)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dy or dx:
                neighbour = c[1 + dy:h1 - 1 + dy, 1 + dx:w1 - 1 + dx]
                differs |= ((inner - neighbour) ** 2).sum(axis=-1) >= max(colour_radius_sq, 16)
    marks = np.zeros((height + 2, width + 2), bool)  # padded by one for the dilation
    ys, xs = np.nonzero(differs)
    rows, columns = 2 * (ys + 1) + 1, 2 * (xs + 1) - 1
    keep = rows < height
    marks[rows[keep] + 1, columns[keep] + 1] = True
    grown = np.zeros((height, width), bool)
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            grown |= marks[dy:dy + height, dx:dx + width]
    return grown


def _shift(src, ys, xs, spatial_radius, colour_radius_sq):
    """Mean shift of the pixels (ys, xs) of `src` -> their uint8 colours."""
    h, w = src.shape[:2]
    reach = int(np.ceil(spatial_radius))  # cvRound(x - r) >= x - ceil(r)
    offsets = np.arange(-reach, reach + 1, dtype=np.int32)
    oy, ox = (a.ravel() for a in np.meshgrid(offsets, offsets, indexing="ij"))
    flat = src.reshape(-1, 3).astype(np.int32)
    y0, x0 = ys.astype(np.int32), xs.astype(np.int32)
    colour = flat[y0 * w + x0]
    active = np.arange(len(y0))
    radius = np.float32(spatial_radius)
    for _ in range(MAX_ITERATIONS):
        if not len(active):
            break
        cy, cx, cc = y0[active], x0[active], colour[active]
        # cvRound(x0 - sp) in float32, half to even as lrint
        low_x = np.maximum(np.rint(cx.astype(np.float32) - radius).astype(np.int32), 0)[:, None]
        high_x = np.minimum(np.rint(cx.astype(np.float32) + radius).astype(np.int32), w - 1)[:, None]
        low_y = np.maximum(np.rint(cy.astype(np.float32) - radius).astype(np.int32), 0)[:, None]
        high_y = np.minimum(np.rint(cy.astype(np.float32) + radius).astype(np.int32), h - 1)[:, None]
        py, px = cy[:, None] + oy, cx[:, None] + ox
        inside = (px >= low_x) & (px <= high_x) & (py >= low_y) & (py <= high_y)
        samples = flat[np.clip(py, 0, h - 1) * w + np.clip(px, 0, w - 1)]
        difference = samples - cc[:, None]
        near = inside & (np.einsum("nkc,nkc->nk", difference, difference) <= colour_radius_sq)
        count = near.sum(axis=1)
        moving = count > 0  # a pixel with no neighbour in reach stays where it is
        active, near, count = active[moving], near[moving], count[moving]
        samples, py, px = samples[moving], py[moving], px[moving]
        cy, cx, cc = cy[moving], cx[moving], cc[moving]
        inverse = 1.0 / count
        x1 = np.rint(np.where(near, px, 0).sum(axis=1) * inverse).astype(np.int32)
        y1 = np.rint(np.where(near, py, 0).sum(axis=1) * inverse).astype(np.int32)
        c1 = np.rint(np.einsum("nk,nkc->nc", near.astype(np.int32), samples) * inverse[:, None]).astype(np.int32)
        moved = c1 - cc
        stop = ((x1 == cx) & (y1 == cy)) | (
            np.abs(x1 - cx) + np.abs(y1 - cy) + np.einsum("nc,nc->n", moved, moved) <= EPSILON)
        y0[active], x0[active], colour[active] = y1, x1, c1
        active = active[~stop]
    return colour.astype(np.uint8)


def pyr_mean_shift_filtering(image, spatial_radius, colour_radius, max_level=1):
    """cv2.pyrMeanShiftFiltering(image, spatial_radius, colour_radius, maxLevel=max_level)
    with OpenCV's default stopping rule, on a uint8 (H, W, 3) image."""
    image = np.ascontiguousarray(image, np.uint8)
    colour_radius_sq = int(round(colour_radius * colour_radius))
    pyramid = [image]
    for _ in range(max_level):
        pyramid.append(pyr_down(pyramid[-1]))
    result = None
    for level in range(max_level, -1, -1):
        src = pyramid[level]
        h, w = src.shape[:2]
        radius = max(float(np.float32(spatial_radius / (1 << level))), 1.0)
        if result is None:
            dst, todo = np.empty_like(src), np.ones((h, w), bool)
        else:
            dst = pyr_up(result, h, w)
            todo = _edge_mask(result, h, w, colour_radius_sq)
        ys, xs = np.nonzero(todo)
        for start in range(0, len(ys), CHUNK):
            part = slice(start, start + CHUNK)
            dst[ys[part], xs[part]] = _shift(src, ys[part], xs[part], radius, colour_radius_sq)
        result = dst
    return result
