"""What Chromium transfers for a first visit, through Playwright."""

import os
from pathlib import Path


def browser_first_load(base, headers):
    """What Chromium transfers for a first visit to the list page, or None without it."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    chromium = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not Path(chromium).exists():
        return None
    transferred = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(extra_http_headers=headers)
        page.on("requestfinished", lambda request: transferred.append(request))
        page.goto(base + "/", wait_until="networkidle")
        total = 0
        for request in transferred:
            sizes = request.sizes()
            total += sizes["responseBodySize"] + sizes["responseHeadersSize"]
        result = {"bytes": total, "requests": len(transferred)}
        browser.close()
    return result
