import pytest
from django.core.management import call_command


@pytest.fixture
def site(live_server, transactional_db):
    """The live server with the seed data loaded, as `make run` serves it."""
    call_command("seed", verbosity=0)
    return live_server.url


@pytest.fixture
def no_js_page(browser):
    context = browser.new_context(java_script_enabled=False)
    yield context.new_page()
    context.close()
