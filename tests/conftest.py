import os
import shutil

import pytest
from django.apps import apps
from django.core.cache import caches
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction

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


@pytest.fixture(scope="session")
def seed_snapshot(django_db_setup, django_db_blocker):
    """Every row `seed` writes (the data and its history), read once per test session, as
    {model: (INSERT statement, the values of each row)}.

    The seed command takes seconds (natural-key lookups for a thousand rows); writing its
    rows back with one executemany a table takes a few hundredths of a second (bulk_create,
    preparing each object again, took ten times that), so each test that asks for the seed
    data gets exactly what the command wrote, at little cost."""
    models = list(apps.get_app_config("platforms").get_models(include_auto_created=True))
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed", verbosity=0)
        inserts = {model: insert_rows(model) for model in models}
        transaction.set_rollback(True)
    return inserts


def insert_rows(model):
    """The INSERT that writes every row of `model` as it is now, ids included, and its values."""
    fields = model._meta.concrete_fields
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    # The names are the models' own, quoted by the backend; the values go as parameters.
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
    values = [
        tuple(field.get_db_prep_save(getattr(row, field.attname), connection) for field in fields)
        for row in model._base_manager.all()
    ]
    return sql, values


def restore_seed(snapshot):
    # One transaction: the tables are filled in model order, and a row may point at one
    # inserted later; outside a test's own transaction (seeded_committed) each insert
    # would otherwise commit, and check its foreign keys, alone.
    with transaction.atomic(), connection.cursor() as cursor:
        for sql, values in snapshot.values():
            if values:
                cursor.executemany(sql, values)
    # PostgreSQL's sequences do not move for rows inserted with their ids.
    statements = connection.ops.sequence_reset_sql(no_style(), list(snapshot))
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


@pytest.fixture
def seeded(db, seed_snapshot):
    """The seed data as `make run` loads it."""
    restore_seed(seed_snapshot)


@pytest.fixture
def page_cache(settings):
    """The page cache the site runs with (config/caching.py), fresh and in memory: the
    test settings switch it off (config/settings/test.py)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "tests",
        },
        "fragments": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "tests-fragments",
        },
    }
    yield
    caches["default"].clear()
    caches["fragments"].clear()


@pytest.fixture
def seeded_committed(transactional_db, seed_snapshot):
    """The seed data, committed, for a live server's threads (flushed after the test)."""
    restore_seed(seed_snapshot)


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
