"""Takes the README's screenshot of the compare page (kept when UPDATE_SCREENSHOTS=1)."""

import os
import shutil
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]

README_SHOT = Path(__file__).resolve().parents[2] / "docs" / "compare.png"


def test_compare_page_screenshot(site, browser, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.goto(site + "/compare/?p=zoom&p=webex&p=doxy-me")
    shot = tmp_path / "compare.png"
    page.screenshot(path=shot)
    context.close()
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 20_000  # a rendered table, not a blank page
    if os.environ.get("UPDATE_SCREENSHOTS"):
        shutil.copy(shot, README_SHOT)
