"""`make run` and `make serve` listen where PORT says (issue 17: the port was fixed)."""

import subprocess

import pytest

from tests.config.site import REPO


@pytest.mark.parametrize("target,command", [("run", "runserver"), ("serve", "gunicorn")])
def test_make_listens_on_the_port_asked_for(target, command):
    for args, port in [([], "8000"), (["PORT=8001"], "8001")]:
        result = subprocess.run(  # noqa: S603
            ["make", "-n", "-B", target, *args],  # noqa: S607
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
        lines = [line for line in result.stdout.splitlines() if command in line]
        assert lines and f"127.0.0.1:{port}" in lines[-1], result.stdout
