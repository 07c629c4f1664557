"""Brute-force protection on the admin sign-in (django-axes)."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"
PASSWORD = "the right long passphrase 7"


@pytest.fixture
def admin_user():
    return get_user_model().objects.create_superuser("alice", "alice@example.org", PASSWORD)


def sign_in(client, password, username="alice", address="203.0.113.7", headers=None):
    return client.post(
        LOGIN,
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
        headers=headers,
    )


def fail_until_locked(client, **kwargs):
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        response = sign_in(client, f"wrong {attempt}", **kwargs)
        assert response.status_code == 200  # the form again, "enter a correct username..."
    return sign_in(client, "wrong last", **kwargs)


def test_a_good_password_signs_in(client, admin_user):
    response = sign_in(client, PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/admin/"


def test_repeated_failures_lock_out_with_429_and_a_clear_message(client, admin_user):
    response = fail_until_locked(client)
    assert response.status_code == 429
    html = response.content.decode()
    assert "Sign-in paused after too many failed attempts" in html
    minutes = round(settings.AXES_COOLOFF_TIME * 60)
    assert f"Try again in {minutes} minutes" in html
    # Even the right password is refused while locked out.
    response = sign_in(client, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_spoofed_forwarded_for_header_does_not_reset_the_count(client, admin_user):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        response = sign_in(
            client,
            f"wrong {attempt}",
            headers={"X-Forwarded-For": f"198.51.100.{attempt}, 10.0.0.1"},
        )
    assert response.status_code == 429
    spoofed = {"X-Forwarded-For": "192.0.2.99", "X-Real-IP": "192.0.2.98"}
    response = sign_in(client, PASSWORD, headers=spoofed)
    assert response.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}


def test_the_lockout_is_for_the_pair_only(client, admin_user):
    get_user_model().objects.create_superuser("bob", "bob@example.org", PASSWORD)
    assert fail_until_locked(client).status_code == 429
    # Alice from another address, and Bob from the locked address, still get in.
    assert sign_in(client, PASSWORD, address="198.51.100.20").status_code == 302
    client.logout()
    assert sign_in(client, PASSWORD, username="bob").status_code == 302


def test_the_lockout_ends_after_the_cool_off(client, admin_user):
    assert fail_until_locked(client).status_code == 429
    cool_off = datetime.timedelta(hours=settings.AXES_COOLOFF_TIME)
    attempt = AccessAttempt.objects.get()
    attempt.attempt_time -= cool_off + datetime.timedelta(seconds=1)
    attempt.save()
    assert sign_in(client, PASSWORD).status_code == 302
