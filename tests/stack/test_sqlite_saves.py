"""On SQLite, parallel stale admin saves queue for the write lock: one wins, the rest are
refused with the message, none is a 500 ("database is locked")."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.mark.parametrize("admins", [6])
def test_parallel_stale_saves_have_one_winner_and_no_500(tmp_path, admins):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=f"sqlite:///{tmp_path}/saves.sqlite3",
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, str(Path(__file__).with_name("sqlite_saves.py")), str(admins)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    statuses = [save["status"] for save in outcome["saves"]]
    assert 500 not in statuses, result.stderr[-3000:]
    assert statuses.count(302) == 1, statuses
    refused = [save for save in outcome["saves"] if save["status"] == 200]
    assert len(refused) == admins - 1 and all(save["refused"] for save in refused)
    winner = statuses.index(302)
    assert outcome["summary"] == f"Summary written by admin {winner}."
