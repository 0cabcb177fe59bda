"""Toyworld: procedural scenes rendered as a 3D and a 2D "studio", for tests and benchmarks.

Real movie frames cannot be shipped, so this makes paired stand-in data: every scene
(ground, sky, a few spheres, boxes and cylinders, a sun, a camera) is ray-cast once into
a G-buffer and then shaded twice from that same geometry:

- `3d` studios ("glossy", "clay"): smooth diffuse + specular shading, soft shadows,
  gradient sky, fog - the Pixar side.
- `2d` studios ("cel", "watercolor"): flat shading in 2-3 bands, dark outlines from
  depth/normal/object edges, a flat painted sky - the Ghibli side.

So a perfect 3d->2d translator exists (the other render), which makes paired metrics
(L1, PSNR, SSIM) possible. Everything is numpy-vectorised over pixels and deterministic
per (seed, scene index).
"""

import colorsys
import math
from dataclasses import dataclass

import numpy as np

STUDIOS = {"3d": ("glossy", "clay"), "2d": ("cel", "watercolor")}
# theme -> ground, sky zenith, sky horizon, sun colour (linear-ish RGB in [0, 1])
THEMES = {
    "meadow": ((0.33, 0.55, 0.26), (0.30, 0.50, 0.88), (0.78, 0.87, 0.96), (1.00, 0.97, 0.90)),
    "desert": ((0.84, 0.68, 0.45), (0.40, 0.58, 0.86), (0.96, 0.86, 0.70), (1.00, 0.93, 0.80)),
    "dusk": ((0.36, 0.31, 0.42), (0.22, 0.18, 0.42), (0.96, 0.62, 0.45), (1.00, 0.75, 0.55)),
    "snow": ((0.88, 0.90, 0.94), (0.45, 0.62, 0.85), (0.86, 0.90, 0.96), (1.00, 0.98, 0.95)),
}
CLIP_FRAMES = 61  # the seed report's clip length
CLIP_DEGREES_PER_FRAME = 1.0
SHADOW_SAMPLES = 6
FOV_DEGREES = 50.0
FOG_DENSITY = 0.035  # per unit of distance: the 3d studios' ground 30 units away keeps a third of its colour
EPS = 1e-3


@dataclass(frozen=True)
class Scene:
    objects: tuple  # (kind, params, rgb) triples
    theme: str
    sun_dir: np.ndarray  # unit vector towards the sun
    shadow_jitter: np.ndarray  # (SHADOW_SAMPLES, 3) fixed offsets: stable soft shadows in clips
    cam_azimuth: float
    cam_elevation: float
    cam_distance: float
    studio_3d: str
    studio_2d: str


def sample_scene(rng):
    """Random scene: 3-6 non-overlapping primitives standing on the ground."""
    objects, placed = [], []
    for _ in range(int(rng.integers(3, 7))):
        for _attempt in range(20):
            x, z = rng.uniform(-2.6, 2.6, size=2)
            size = rng.uniform(0.35, 0.9)
            if all(math.hypot(x - px, z - pz) > size + ps + 0.1 for px, pz, ps in placed):
                break
        else:
            continue
        placed.append((x, z, size))
        hue = rng.uniform()
        rgb = colorsys.hsv_to_rgb(hue, rng.uniform(0.45, 0.9), rng.uniform(0.55, 0.95))
        kind = ("sphere", "box", "cylinder")[int(rng.integers(3))]
        if kind == "sphere":
            params = (x, size, z, size)
        elif kind == "box":
            hy = rng.uniform(0.3, 1.0)
            params = (x, hy, z, size * 0.75, hy, size * rng.uniform(0.5, 0.8), rng.uniform(0, np.pi))
        else:
            hh = rng.uniform(0.35, 1.1)
            params = (x, hh, z, size * 0.8, hh)
        objects.append((kind, params, np.array(rgb, np.float32)))
    theme = tuple(THEMES)[int(rng.integers(len(THEMES)))]
    elevation = rng.uniform(0.35, 0.8) if theme != "dusk" else rng.uniform(0.12, 0.3)
    azimuth = rng.uniform(0, 2 * np.pi)
    sun = np.array([math.cos(azimuth) * math.cos(elevation), math.sin(elevation),
                    math.sin(azimuth) * math.cos(elevation)], np.float32)
    return Scene(
        objects=tuple(objects),
        theme=theme,
        sun_dir=sun,
        shadow_jitter=rng.normal(0, 0.05, size=(SHADOW_SAMPLES, 3)).astype(np.float32),
        cam_azimuth=float(rng.uniform(0, 2 * np.pi)),
        cam_elevation=float(rng.uniform(0.15, 0.5)),
        cam_distance=float(rng.uniform(6.5, 9.0)),
        studio_3d=STUDIOS["3d"][int(rng.integers(2))],
        studio_2d=STUDIOS["2d"][int(rng.integers(2))],
    )


# --- ray casting -------------------------------------------------------------------------
# Every intersect_* takes origins (N, 3) or (3,), unit directions (N, 3) and returns
# (t, normal) with t = inf where the ray misses.


def _dot(a, b):
    return np.einsum("...i,...i->...", a, b)


def intersect_sphere(o, d, params):
    cx, cy, cz, r = params
    oc = o - np.array([cx, cy, cz], np.float32)
    b = _dot(oc, d)
    disc = b * b - (_dot(oc, oc) - r * r)
    with np.errstate(invalid="ignore"):
        t = -b - np.sqrt(disc)
    t = np.where((disc > 0) & (t > EPS), t, np.inf)
    normal = (o + d * np.where(np.isfinite(t), t, 0)[..., None] - np.array([cx, cy, cz], np.float32)) / r
    return t, normal


def _rotate_y(v, angle):
    c, s = math.cos(angle), math.sin(angle)
    x, y, z = v[..., 0], v[..., 1], v[..., 2]
    return np.stack([c * x + s * z, y, -s * x + c * z], axis=-1)


def intersect_box(o, d, params):
    cx, cy, cz, hx, hy, hz, yaw = params
    half = np.array([hx, hy, hz], np.float32)
    lo = _rotate_y(o - np.array([cx, cy, cz], np.float32), -yaw)
    ld = _rotate_y(d, -yaw)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / np.where(np.abs(ld) < 1e-9, 1e-9, ld)
        t1, t2 = (-half - lo) * inv, (half - lo) * inv
    tnear, tfar = np.minimum(t1, t2), np.maximum(t1, t2)
    tmin, tmax = tnear.max(-1), tfar.min(-1)
    t = np.where((tmax >= tmin) & (tmin > EPS), tmin, np.inf)
    axis = tnear.argmax(-1)
    local_n = np.zeros(ld.shape, np.float32)
    np.put_along_axis(local_n, axis[..., None], -np.sign(np.take_along_axis(ld, axis[..., None], -1)), -1)
    return t, _rotate_y(local_n, yaw)


def intersect_cylinder(o, d, params):
    cx, cy, cz, r, hh = params
    lo = o - np.array([cx, cy, cz], np.float32)
    lo = np.broadcast_to(lo, d.shape)
    a = d[..., 0] ** 2 + d[..., 2] ** 2
    b = lo[..., 0] * d[..., 0] + lo[..., 2] * d[..., 2]
    c = lo[..., 0] ** 2 + lo[..., 2] ** 2 - r * r
    disc = b * b - a * c
    with np.errstate(invalid="ignore", divide="ignore"):
        t_side = (-b - np.sqrt(disc)) / a
        y_side = lo[..., 1] + t_side * d[..., 1]
        t_side = np.where((disc > 0) & (t_side > EPS) & (np.abs(y_side) <= hh), t_side, np.inf)
        cap_y = np.where(lo[..., 1] > 0, hh, -hh)
        t_cap = (cap_y - lo[..., 1]) / d[..., 1]
    px = lo[..., 0] + t_cap * d[..., 0]
    pz = lo[..., 2] + t_cap * d[..., 2]
    t_cap = np.where((t_cap > EPS) & (px * px + pz * pz <= r * r), t_cap, np.inf)
    t = np.minimum(t_side, t_cap)
    p = lo + d * np.where(np.isfinite(t), t, 0)[..., None]
    side_n = np.stack([p[..., 0] / r, np.zeros_like(t), p[..., 2] / r], axis=-1)
    cap_n = np.stack([np.zeros_like(t), np.sign(cap_y), np.zeros_like(t)], axis=-1)
    return t, np.where((t_cap < t_side)[..., None], cap_n, side_n).astype(np.float32)


INTERSECT = {"sphere": intersect_sphere, "box": intersect_box, "cylinder": intersect_cylinder}


def bounding_sphere(kind, params):
    """(centre, radius) enclosing a primitive: a cheap test before the exact one."""
    centre = np.array(params[:3], np.float32)
    if kind == "sphere":
        return centre, params[3]
    if kind == "box":
        return centre, math.sqrt(params[3] ** 2 + params[4] ** 2 + params[5] ** 2)
    return centre, math.sqrt(params[3] ** 2 + params[4] ** 2)


def _candidates(o, d, kind, params):
    """Indices of the rays that pass through the primitive's bounding sphere."""
    centre, radius = bounding_sphere(kind, params)
    oc = o - centre
    b = _dot(oc, d)
    disc = b * b - (_dot(oc, oc) - radius * radius)
    return np.nonzero((disc > 0) & (np.sqrt(np.maximum(disc, 0)) - b > EPS))[0]


def _intersect_subset(o, d, kind, params):
    """Exact hits, computed only for the rays near the primitive: (indices, t, normal)."""
    idx = _candidates(o, d, kind, params)
    sub_o = o[idx] if o.ndim == 2 else o
    t, normal = INTERSECT[kind](sub_o, d[idx], params)
    return idx, t, normal


def _nearest_object(o, d, objects):
    """Nearest primitive hit: (t, normal, object index or -1)."""
    n = d.shape[0]
    best_t = np.full(n, np.inf, np.float32)
    best_n = np.zeros((n, 3), np.float32)
    best_id = np.full(n, -1, np.int32)
    for i, (kind, params, _rgb) in enumerate(objects):
        idx, t, normal = _intersect_subset(o, d, kind, params)
        closer = t < best_t[idx]
        idx = idx[closer]
        best_t[idx], best_n[idx], best_id[idx] = t[closer], normal[closer], i
    return best_t, best_n, best_id


def _occluded(points, direction, objects):
    """True where a ray from `points` towards `direction` hits any primitive."""
    d = np.broadcast_to(direction, points.shape)
    blocked = np.zeros(points.shape[0], bool)
    for kind, params, _rgb in objects:
        idx, t, _ = _intersect_subset(points, d, kind, params)
        blocked[idx[np.isfinite(t)]] = True
    return blocked


def camera_rays(scene, size, azimuth_offset=0.0):
    """Pinhole camera orbiting the origin: (origin (3,), unit directions (size*size, 3))."""
    az = scene.cam_azimuth + azimuth_offset
    el, dist = scene.cam_elevation, scene.cam_distance
    eye = np.array([math.cos(az) * math.cos(el), math.sin(el), math.sin(az) * math.cos(el)]) * dist
    eye = (eye + np.array([0.0, 0.6, 0.0])).astype(np.float32)
    forward = np.array([0.0, 0.6, 0.0], np.float32) - eye
    forward /= np.linalg.norm(forward)
    right = np.cross(forward, [0.0, 1.0, 0.0]).astype(np.float32)
    right /= np.linalg.norm(right)
    up = np.cross(right, forward)
    half = math.tan(math.radians(FOV_DEGREES) / 2)
    coords = (np.arange(size, dtype=np.float32) + 0.5) / size * 2 - 1
    v, u = np.meshgrid(-coords * half, coords * half, indexing="ij")
    d = forward + u[..., None] * right + v[..., None] * up
    d = d.reshape(-1, 3)
    return eye, d / np.linalg.norm(d, axis=-1, keepdims=True)


def trace(scene, size, azimuth_offset=0.0):
    """G-buffer of one view: depth, normal, position, object id (-1 ground, -2 sky),
    ray directions and the soft (fraction lit) and hard shadow terms."""
    eye, d = camera_rays(scene, size, azimuth_offset)
    t_obj, normal, obj_id = _nearest_object(eye, d, scene.objects)
    with np.errstate(divide="ignore"):
        t_ground = np.where(d[:, 1] < -1e-4, -eye[1] / d[:, 1], np.inf)
    ground = t_ground < t_obj
    t = np.where(ground, t_ground, t_obj)
    obj_id = np.where(ground, -1, obj_id)
    obj_id = np.where(np.isfinite(t), obj_id, -2)
    normal = np.where(ground[:, None], np.array([0, 1, 0], np.float32), normal)
    pos = eye + d * np.where(np.isfinite(t), t, 0)[:, None]
    hit = (obj_id != -2) & (_dot(normal, scene.sun_dir) > -0.05)  # others are self-shadowed
    origins = pos[hit] + normal[hit] * 2e-3
    lit = np.zeros((SHADOW_SAMPLES, hit.sum()), np.float32)
    for k, jitter in enumerate(scene.shadow_jitter):
        direction = scene.sun_dir + (jitter if k else 0.0)  # sample 0 is the hard shadow
        direction = direction / np.linalg.norm(direction)
        lit[k] = ~_occluded(origins, direction, scene.objects)
    soft = np.zeros(t.shape, np.float32)
    hard = np.zeros(t.shape, np.float32)
    soft[hit], hard[hit] = lit.mean(0), lit[0]
    shape = (size, size)
    return {
        "t": t.reshape(shape), "normal": normal.reshape(shape + (3,)), "pos": pos.reshape(shape + (3,)),
        "id": obj_id.reshape(shape), "dir": d.reshape(shape + (3,)),
        "soft": soft.reshape(shape), "hard": hard.reshape(shape),
    }


# --- shading -----------------------------------------------------------------------------


def _base_colour(gbuf, scene):
    ground, _zenith, _horizon, _sun = (np.array(c, np.float32) for c in THEMES[scene.theme])
    palette = np.stack([ground] + [rgb for _k, _p, rgb in scene.objects])
    return palette[np.maximum(gbuf["id"] + 1, 0)]


def _value_noise(pos, scale):
    """Cheap smooth pseudo-noise in [-1, 1] fixed to world positions (stable across frames)."""
    p = pos * scale
    return (np.sin(p[..., 0] * 1.7 + np.sin(p[..., 2] * 1.3)) * np.sin(p[..., 2] * 1.9 + np.sin(p[..., 1] * 2.3))
            * np.sin(p[..., 1] * 1.1 + p[..., 0] * 0.7))


def _sky_gradient(gbuf, scene):
    _g, zenith, horizon, sun = (np.array(c, np.float32) for c in THEMES[scene.theme])
    up = np.clip(gbuf["dir"][..., 1], 0, 1)[..., None] ** 0.6
    sky = horizon * (1 - up) + zenith * up
    glow = np.clip(_dot(gbuf["dir"], scene.sun_dir), 0, 1)[..., None] ** 64
    return sky + glow * sun * 0.6


def fog_transmittance(gbuf):
    """The share of each pixel's own colour that the 3d studios' fog lets through (0 for the sky)."""
    return np.exp(-np.where(np.isfinite(gbuf["t"]), gbuf["t"], np.inf) * FOG_DENSITY)


def shade_3d(gbuf, scene, studio):
    """Smooth physically-flavoured shading: diffuse, specular, soft shadows, sky, fog."""
    _g, zenith, horizon, sun = (np.array(c, np.float32) for c in THEMES[scene.theme])
    n, view = gbuf["normal"], -gbuf["dir"]
    base = _base_colour(gbuf, scene)
    n_dot_l = _dot(n, scene.sun_dir)
    half_vec = scene.sun_dir + view
    half_vec /= np.linalg.norm(half_vec, axis=-1, keepdims=True)
    n_dot_h = np.clip(_dot(n, half_vec), 0, 1)
    shadow = gbuf["soft"]
    ambient = (zenith * (0.5 + 0.5 * n[..., 1:2]) + horizon * 0.3) * 0.35
    if studio == "glossy":
        diffuse = np.clip(n_dot_l, 0, 1)
        spec = (n_dot_h ** 60 * 0.7 * shadow)[..., None] * sun
        rim = ((1 - np.clip(_dot(n, view), 0, 1)) ** 3 * 0.25)[..., None] * zenith
        colour = base * (ambient + (diffuse * shadow)[..., None] * sun) + spec + rim
    else:  # clay: wrapped diffuse, fingerprint-fine surface noise, dull highlights
        diffuse = np.clip((n_dot_l + 0.35) / 1.35, 0, 1)
        grain = 1 + 0.07 * _value_noise(gbuf["pos"], 14.0)[..., None]
        spec = (n_dot_h ** 8 * 0.08 * shadow)[..., None] * sun
        warm = np.array([1.05, 0.97, 0.9], np.float32)
        colour = base * warm * grain * (ambient + (diffuse * (0.25 + 0.75 * shadow))[..., None] * sun) + spec
    on_ground = (gbuf["id"] == -1)[..., None]
    colour = np.where(on_ground, colour * (1 + 0.08 * _value_noise(gbuf["pos"], 1.5))[..., None], colour)
    fog = 1 - fog_transmittance(gbuf)[..., None]
    colour = colour * (1 - fog) + horizon * fog
    colour = np.where((gbuf["id"] == -2)[..., None], _sky_gradient(gbuf, scene), colour)
    return np.clip(colour, 0, 1) ** (1 / 1.15)  # gentle tone curve


def _edges(gbuf):
    """Outline mask: object-id changes, depth jumps and creases between neighbours."""
    ids, t, n = gbuf["id"], np.where(np.isfinite(gbuf["t"]), gbuf["t"], 1e3), gbuf["normal"]
    edge = np.zeros(ids.shape, bool)
    for axis in (0, 1):
        sl_a = (slice(None, -1), slice(None)) if axis == 0 else (slice(None), slice(None, -1))
        sl_b = (slice(1, None), slice(None)) if axis == 0 else (slice(None), slice(1, None))
        id_jump = ids[sl_a] != ids[sl_b]
        ground_pair = (ids[sl_a] == -1) & (ids[sl_b] == -1)
        depth_jump = (np.abs(t[sl_a] - t[sl_b]) / np.minimum(t[sl_a], t[sl_b]) > 0.08) & ~ground_pair
        crease = (ids[sl_a] >= 0) & ~id_jump & (_dot(n[sl_a], n[sl_b]) < 0.7)
        e = id_jump | depth_jump | crease
        edge[sl_a] |= e
    return edge


def _dilate(mask, radius):
    out = mask.copy()
    for _ in range(radius):
        out[1:] |= out[:-1]
        out[:, 1:] |= out[:, :-1]
    return out


def _box_blur(img, radius):
    if radius <= 0:
        return img
    out = img
    for axis in (0, 1):
        padded = np.pad(out, [(radius, radius) if a == axis else (0, 0) for a in range(img.ndim)], mode="edge")
        c = np.cumsum(padded, axis=axis, dtype=np.float32)
        c = np.concatenate([np.zeros_like(np.take(c, [0], axis=axis)), c], axis=axis)
        k = 2 * radius + 1
        out = (np.take(c, range(k, c.shape[axis]), axis=axis) - np.take(c, range(0, c.shape[axis] - k), axis=axis)) / k
    return out


def _saturate(rgb, amount):
    grey = rgb.mean(-1, keepdims=True)
    return np.clip(grey + (rgb - grey) * amount, 0, 1)


def _line_width(size):
    return max(1, round(size / 160))


def outline_mask(gbuf, studio):
    """Where a 2d studio draws its lines: the edges, thickened to the line width for cel
    (watercolor darkens the edges themselves, then blurs)."""
    edges = _edges(gbuf)
    return _dilate(edges, _line_width(edges.shape[0]) - 1) if studio == "cel" else edges


def shade_2d(gbuf, scene, studio):
    """Flat cel shading in bands, painted sky and dark outlines."""
    ground, zenith, horizon, _sun = (np.array(c, np.float32) for c in THEMES[scene.theme])
    base = _base_colour(gbuf, scene)
    light = np.clip(_dot(gbuf["normal"], scene.sun_dir), 0, 1) * gbuf["hard"]
    size = gbuf["id"].shape[0]
    line = _line_width(size)
    sky_mask = (gbuf["id"] == -2)[..., None]
    outline = outline_mask(gbuf, studio)[..., None]
    if studio == "cel":
        bands = np.select([light < 0.15, light < 0.55], [0.58, 0.82], 1.0)[..., None]
        colour = _saturate(base, 1.25) * bands
        horizon_band = gbuf["dir"][..., 1:2] < 0.12
        sky = np.where(horizon_band, horizon, zenith * 0.85 + horizon * 0.15)
        colour = np.where(sky_mask, sky, colour)
        colour = np.where(outline, np.array([0.10, 0.07, 0.10], np.float32), colour)
    else:  # watercolor: two soft bands, pale washes, paper grain, colour-tinted edges
        bands = np.where(light < 0.3, 0.72, 1.0)[..., None]
        bands = _box_blur(bands, line)
        wash = base * 0.75 + 0.25
        colour = wash * bands
        sky = zenith * 0.45 + horizon * 0.3 + 0.25
        colour = np.where(sky_mask, sky, colour)
        colour = np.where(outline, colour * 0.55, colour)
        colour = _box_blur(colour, line)
        yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size * 90
        paper = 1 - 0.025 * (np.sin(xx * 2.1 + 3 * np.sin(yy * 0.7)) * np.sin(yy * 1.7 + 3 * np.sin(xx * 0.9)))
        colour = colour * paper[..., None]
    return np.clip(colour, 0, 1)


def render_pair(scene, size, supersample=2, azimuth_offset=0.0):
    """(3d image, 2d image, outline) of one view of `scene`: uint8 HxWx3 arrays, and the
    bool HxW mask of the pixels the 2d render's lines touch (for evaluation)."""
    gbuf = trace(scene, size * supersample, azimuth_offset)

    def box_down(array):  # box-filter down: anti-aliased edges and outlines
        return array.reshape(size, supersample, size, supersample, *array.shape[2:]).mean((1, 3))

    images = [(box_down(shade(gbuf, scene, studio)) * 255 + 0.5).astype(np.uint8)
              for shade, studio in ((shade_3d, scene.studio_3d), (shade_2d, scene.studio_2d))]
    return images[0], images[1], box_down(outline_mask(gbuf, scene.studio_2d).astype(np.float32)) > 0


def scene_rng(seed, stream, index):
    """Independent random stream per (seed, stills|clips, index): order-free and parallel."""
    return np.random.default_rng([seed, stream, index])


STILLS, CLIPS = 0, 1
