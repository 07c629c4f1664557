import os
import shutil

import pytest
from django.core.management import call_command

# Playwright's sync API runs an event loop in the test thread; Django's live_server and ORM
# calls from that thread are safe here because the tests are not concurrent.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def seeded(db):
    """The seed data as `make run` loads it."""
    call_command("seed", verbosity=0)


@pytest.fixture(scope="session")
def seeded_session(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("seed", "--force", verbosity=0)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"Chromium not found at {CHROMIUM}; .ci/run should install it.")
        pytest.skip(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_FLAGS}


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgresql` test what only PostgreSQL can show (truly parallel row
    locks). On another database they are left out, and said so, rather than skipped: .ci/run
    runs the suite on PostgreSQL too, where they run."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    left_out = [item for item in items if item.get_closest_marker("postgresql")]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if item not in left_out]
        print(f"\n{len(left_out)} PostgreSQL-only test(s) left out on {connection.vendor}.")
