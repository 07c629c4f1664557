"""Run by test_sqlite_saves.py in its own process: parallel stale admin saves on a SQLite file.

Each thread is an admin with a Django test client and so its own database connection to the
same file, as gunicorn workers would be. All open the same platform, then all save at once.
Prints one JSON list: for each save, its status and whether the refusal message was shown.
"""

import json
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from platforms.models import Platform  # noqa: E402
from tests.platforms.admin_forms import form_data, staff_client  # noqa: E402

# Both refusals start so: the stale-version one, and the merge's "changed ... and so did
# you" when both changed the same field (here every admin writes the summary).
CONFLICT = "Not saved: someone else"


def main(count):
    setup_test_environment()
    call_command("migrate", verbosity=0)
    call_command("seed", verbosity=0)
    zoom = Platform.objects.get(slug="zoom")
    url = f"/admin/platforms/platform/{zoom.pk}/change/"
    admins = []
    for n in range(count):
        client, _ = staff_client(f"admin{n}")
        admins.append(Client(raise_request_exception=False, **{"HTTP_HOST": "testserver"}))
        admins[-1].cookies = client.cookies
    forms = [form_data(admin.get(url)) for admin in admins]
    connection.close()
    barrier = threading.Barrier(count)
    results = [None] * count

    def save(n):
        forms[n]["summary"] = f"Summary written by admin {n}."
        barrier.wait()
        response = admins[n].post(url, forms[n])
        results[n] = {
            "status": response.status_code,
            "refused": CONFLICT in response.content.decode(errors="replace"),
        }
        connection.close()

    threads = [threading.Thread(target=save, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    zoom.refresh_from_db()
    print(json.dumps({"saves": results, "summary": zoom.summary}))


if __name__ == "__main__":
    main(int(sys.argv[1]))
