import pytest


@pytest.fixture
def site(live_server, seeded_committed):
    """The live server with the seed data loaded, as `make run` serves it."""
    return live_server.url


@pytest.fixture
def no_js_page(browser):
    context = browser.new_context(java_script_enabled=False)
    yield context.new_page()
    context.close()
