"""A real browser (Debian's Chromium, headless, driven by Playwright) loads the app, picks
an example, translates it and sees the result. .ci/run installs Chromium."""

import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# As root and without network: no sandbox, no background connections to Google's hosts.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def page(app_server):
    playwright = pytest.importorskip("playwright.sync_api")
    if not shutil.which(CHROMIUM):
        pytest.skip("Chromium is not installed (apt-get install chromium; .ci/run does)")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        page.goto(app_server)
        page.wait_for_selector("#translate-button", timeout=60_000)
        yield page
        browser.close()


def test_translate_an_example_in_the_browser(page, tmp_path):
    page.get_by_test_id("dataset-cell-0-0").click()  # the first example: a 3d render
    page.wait_for_selector("#picture img", timeout=30_000)
    page.click("#translate-button")
    result = page.wait_for_selector("#translated img", timeout=60_000)
    size = result.evaluate("img => new Promise(ok => img.complete ? ok([img.naturalWidth, img.naturalHeight])"
                           " : img.onload = () => ok([img.naturalWidth, img.naturalHeight]))")
    assert size == [256, 256]  # the example's own size
    page.wait_for_selector("#comparison img", timeout=60_000)  # the before/after slider got both pictures
    page.screenshot(path=str(tmp_path / "translated.png"), full_page=True)


def test_the_demo_notice_and_the_other_tabs_are_there(page):
    assert "Demo weights" in page.inner_text("body")
    for tab in ["Style sliders", "Video", "About"]:
        page.get_by_role("tab", name=tab).click()
    assert "Loaded models" in page.inner_text("body")
