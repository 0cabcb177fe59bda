"""A real browser (Debian's Chromium, headless, driven by Playwright) loads the app, picks
an example, translates it and sees the result, and streams Chromium's fake camera into the
webcam tab. .ci/run installs Chromium."""

import io
import os
import shutil

import numpy as np
import pytest
from PIL import Image

from space.ui import EXAMPLES

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# As root and without network: no sandbox, no background connections to Google's hosts.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync",
         # A camera for the webcam tab: Chromium's test pattern, allowed without asking.
         "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


# .ci/run sets it: there a missing browser is a broken install, a failure rather than a skip.
REQUIRED = os.environ.get("ANIMSTYLE_REQUIRE_BROWSER") == "1"


def _without(what):
    (pytest.fail if REQUIRED else pytest.skip)(f"{what} (ANIMSTYLE_REQUIRE_BROWSER=1 makes this a failure)")


@pytest.fixture(scope="module")
def page(app_server):
    try:
        import playwright.sync_api as playwright
    except ImportError:
        _without("Playwright is not installed (the test extra has it)")
    if not shutil.which(CHROMIUM):
        _without("Chromium is not installed (apt-get install chromium; .ci/run does)")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1400}, permissions=["camera"])
        page.goto(app_server)
        page.wait_for_selector("#translate-button", timeout=60_000)
        yield page
        browser.close()


SOURCES = "Array.from(document.querySelectorAll('#comparison img')).map(i => i.src)"


def after_image(page, not_source=None):
    """The translation in the before/after slider, as the browser received it (once its
    address is no longer `not_source`)."""
    page.wait_for_function(f"(old) => {{ const s = {SOURCES}; return s.length >= 2 && s[s.length - 1] !== old; }}",
                           arg=not_source, timeout=60_000)
    source = page.evaluate(SOURCES)[-1]
    return np.asarray(Image.open(io.BytesIO(page.request.get(source).body())).convert("RGB")), source


@pytest.mark.slow
def test_a_cached_example_shows_its_result_without_a_click_and_again_after_a_reload(page, tmp_path):
    page.get_by_test_id("dataset-cell-0-0").click()  # the first example: a 3d render; no click on Translate
    page.wait_for_selector("#picture img", timeout=30_000)
    first, _ = after_image(page)
    assert first.shape == (256, 256, 3)  # the example's own size
    page.screenshot(path=str(tmp_path / "example.png"), full_page=True)
    page.reload()
    page.wait_for_selector("#translate-button", timeout=60_000)
    page.get_by_test_id("dataset-cell-0-0").click()  # now from the cache
    assert np.array_equal(after_image(page)[0], first)


def test_the_strength_slider_runs_from_the_picture_to_the_translation(page):
    page.get_by_test_id("dataset-cell-0-0").click()
    page.wait_for_selector("#picture img", timeout=30_000)
    example = np.asarray(Image.open(EXAMPLES[0]).convert("RGB"))
    results, source = {}, after_image(page)[1]  # the example's cached result
    for strength in ("0", "1"):
        page.fill("#strength input[type=number]", strength)
        page.press("#strength input[type=number]", "Enter")
        page.click("#translate-button")
        results[strength], source = after_image(page, not_source=source)
    assert np.array_equal(results["0"], example)  # strength 0: the picture itself
    assert np.abs(results["1"].astype(int) - example).mean() > 5  # strength 1: translated


def test_the_demo_notice_and_the_other_tabs_are_there(page):
    assert "Demo weights" in page.inner_text("body")
    for tab in ["Style sliders", "Video", "About"]:
        page.get_by_role("tab", name=tab).click()
    assert "Loaded models" in page.inner_text("body")


def test_the_webcam_tab_streams_the_camera_and_shows_translated_frames_and_their_rate(page):
    page.get_by_role("tab", name="Webcam").click()
    page.locator("#webcam button", has_text="Click to Access Webcam").click()  # Chromium's fake camera
    page.locator("#webcam button", has_text="Record").click()  # start streaming
    page.wait_for_function("document.querySelector('#webcam-translated img')?.src", timeout=60_000)
    page.wait_for_function("/frames per second/.test(document.querySelector('#webcam-rate').innerText)",
                           timeout=60_000)
    source = page.evaluate("document.querySelector('#webcam-translated img').src")
    frame = Image.open(io.BytesIO(page.request.get(source).body()))
    assert frame.format == "JPEG" and frame.size == (341, 256)  # the fake camera's 640x480, at 256 px
    page.locator("#webcam button", has_text="Stop").click()  # the slot goes back for the next viewer
