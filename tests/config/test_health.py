import pytest
from django.db import OperationalError

from config import health


def test_healthz_says_ok_without_touching_the_database_or_session(client):
    # No db fixture: pytest-django makes any database access in this test raise.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert response["Content-Type"].startswith("text/plain")
    assert "no-cache" in response["Cache-Control"]
    assert not response.cookies
    assert not response.wsgi_request.session.accessed


@pytest.mark.django_db
def test_healthz_db_runs_one_query(client, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get("/healthz", {"db": "1"})
    assert response.status_code == 200
    assert response.content.startswith(b"ok")


def down_database():
    raise OperationalError("connection refused")


def test_healthz_db_answers_503_when_the_database_is_down(client, monkeypatch):
    monkeypatch.setattr(health, "data_version", down_database)
    response = client.get("/healthz", {"db": "1"})
    assert response.status_code == 503
    assert response.content == b"database unavailable\n"


def test_healthz_without_db_ignores_a_down_database(client, monkeypatch):
    monkeypatch.setattr(health, "data_version", down_database)
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize("value", ["yes", "2", ""])
def test_healthz_rejects_an_unreadable_db_flag(client, value):
    response = client.get("/healthz", {"db": value})
    assert response.status_code == 400
    assert b"db takes 1" in response.content


def test_healthz_refuses_post(client):
    assert client.post("/healthz").status_code == 405
