import numpy as np
import pytest

from hub.labels import LabelSpace

ROWS = [
    {"medium": "3d", "studio": "pixar", "movie": "up"},
    {"medium": "2d", "studio": "ghibli", "movie": "ponyo"},
    {"medium": "2d", "studio": "ghibli", "movie": "arrietty"},
]


def test_groups_keep_the_given_order_and_sort_values():
    space = LabelSpace.from_rows(ROWS, ["studio", "medium", "movie"])
    assert space.names == ["studio=ghibli", "studio=pixar", "medium=2d", "medium=3d",
                           "movie=arrietty", "movie=ponyo", "movie=up"]
    assert space.size == 7
    vector = space.encode({"medium": "2d", "studio": "ghibli", "movie": "ponyo", "frame": 3})
    assert vector.dtype == np.float32
    np.testing.assert_array_equal(vector, [1, 0, 1, 0, 0, 1, 0])


def test_slices_locate_named_groups_in_the_vector():
    space = LabelSpace.from_rows(ROWS, ["studio", "medium", "movie"])
    assert space.slices(["movie", "studio"]) == [(4, 3), (0, 2)]
    with pytest.raises(ValueError, match="'decade' is not a label tag here"):
        space.slices(["decade"])


def test_config_round_trip_keeps_the_meaning_of_each_entry():
    space = LabelSpace.from_rows(ROWS, ["medium", "movie"])
    again = LabelSpace.from_config(space.to_config())
    assert again == space
    np.testing.assert_array_equal(again.encode(ROWS[0]), space.encode(ROWS[0]))


@pytest.mark.parametrize("tags, message", [
    (["medium", "decade"], "label tag 'decade' is missing from 3 of 3"),
    (["medium", "medium"], "names a tag twice"),
    ([], "at least one tag"),
])
def test_bad_tag_lists_are_clear_errors(tags, message):
    with pytest.raises(ValueError, match=message):
        LabelSpace.from_rows(ROWS, tags)


def test_a_group_with_one_value_is_an_error():
    rows = [r for r in ROWS if r["medium"] == "2d"]
    with pytest.raises(ValueError, match="'medium' has only one value \\('2d'\\)"):
        LabelSpace.from_rows(rows, ["medium", "movie"])


def test_encoding_an_unknown_or_missing_value_is_an_error():
    space = LabelSpace.from_rows(ROWS, ["medium", "studio"])
    with pytest.raises(ValueError, match="unknown studio 'disney': this model knows ghibli, pixar"):
        space.encode({"medium": "2d", "studio": "disney"})
    with pytest.raises(ValueError, match="needs a value for 'studio'"):
        space.encode({"medium": "2d"})
    np.testing.assert_allclose(space.encode({"medium": "2d"}, partial=True), [1, 0, 0.5, 0.5])
