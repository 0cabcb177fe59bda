"""The seed report's eight movies: where their galleries are on animationscreencaps.com
(educational, non-commercial use) and their tags. `--movie luca` alone is enough for
`python -m trainer.data fetch`; a gallery URL and tags given on the command line win.

The slugs follow the site's pattern (`https://animationscreencaps.com/<slug>/`); they
could not be checked from the development machine, which has no network.
"""

from dataclasses import dataclass

SITE = "https://animationscreencaps.com"


@dataclass(frozen=True)
class Movie:
    name: str  # the manifest's `movie` tag
    slug: str
    studio: str
    medium: str

    @property
    def gallery_url(self):
        return f"{SITE}/{self.slug}/"


KNOWN_MOVIES = {m.name: m for m in [
    Movie("toy-story-3", "toy-story-3", "pixar", "3d"),
    Movie("luca", "luca", "pixar", "3d"),
    Movie("inside-out", "inside-out", "pixar", "3d"),
    Movie("finding-nemo", "finding-nemo", "pixar", "3d"),
    Movie("ponyo", "ponyo", "ghibli", "2d"),
    Movie("spirited-away", "spirited-away", "ghibli", "2d"),
    Movie("princess-mononoke", "princess-mononoke", "ghibli", "2d"),
    Movie("my-neighbor-totoro", "my-neighbor-totoro", "ghibli", "2d"),
]}


def resolve(movie, gallery_url=None, studio=None, medium=None):
    """The Movie to fetch: a known one (its URL and tags overridable), or an unknown one
    with every field given."""
    known = KNOWN_MOVIES.get(movie)
    if known is None and not (gallery_url and studio and medium):
        raise ValueError(f"unknown movie {movie!r}: give GALLERY_URL, --studio and --medium, or one of "
                         f"{', '.join(KNOWN_MOVIES)}")
    slug = known.slug if known else movie
    movie_tags = Movie(movie, slug, studio or known.studio, medium or known.medium)
    return movie_tags, gallery_url or movie_tags.gallery_url
