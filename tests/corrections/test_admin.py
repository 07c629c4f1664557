"""From a submission to a changed fact: the queue, accept, reject, the writer's e-mail."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse

from corrections.models import READER_CORRECTION_REASON, Correction
from platforms.models import Citation, Fact, Source
from tests.platforms.admin_forms import form_data, staff_client

from .helpers import QUOTE, form_url, valid, zoom_baa

pytestmark = pytest.mark.django_db


@pytest.fixture
def fact(seeded):
    fact = zoom_baa()
    # A check date in the past, so that today's is a change to confirm.
    Fact.objects.filter(pk=fact.pk).update(
        verified_on=datetime.date.today() - datetime.timedelta(days=40)
    )
    fact.refresh_from_db()
    return fact


@pytest.fixture
def superuser(seeded):
    # The fact's citations are edited inline on its page, which the Editors group cannot do
    # yet (it has no citation permissions), so the accept flow runs as a superuser.
    return staff_client("corrections-admin")


@pytest.fixture
def editor(seeded):
    client, user = staff_client(
        "corrections-editor", superuser=False, groups=[Group.objects.get(name="Editors")]
    )
    return client, user


def submit(client, fact, **changes):
    assert client.post(form_url(fact), valid(**changes)).status_code == 302
    return Correction.objects.latest("pk")


def review_url(correction):
    return reverse("admin:corrections_correction_change", args=[correction.pk])


def test_the_queue_lists_new_corrections_for_editors(client, fact, editor):
    admin, _user = editor
    correction = submit(client, fact, writer="vendor", disclosure="Support lead at Zoom")
    listing = admin.get("/admin/corrections/correction/?status__exact=new")
    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == [correction]
    review = admin.get(review_url(correction)).content.decode()
    assert "The vendor (I work for it or speak for it): Support lead at Zoom" in review
    assert "Accept and edit the fact" in review and "Reject" in review
    assert admin.get("/admin/corrections/correction/add/").status_code == 403


def test_accepting_with_an_existing_source_changes_the_fact_and_credits_the_reader(
    client, fact, superuser, django_capture_on_commit_callbacks
):
    admin, user = superuser
    source = Source.objects.exclude(citations__fact=fact).first()
    correction = submit(
        client, fact, source_url=source.url, email="reader@example.org", proposed_state="no"
    )
    accept = admin.get(reverse("admin:corrections_correction_accept", args=[correction.pk]))
    change_url = reverse("admin:platforms_fact_change", args=[fact.pk])
    assert (
        accept.status_code == 302
        and accept["Location"] == f"{change_url}?correction={correction.pk}"
    )

    page = admin.get(accept["Location"])
    assert page.status_code == 200
    main = page.context["adminform"].form
    assert main["state"].value() == "no"
    assert main["verified_on"].value() == datetime.date.today()
    citations = next(
        f.formset for f in page.context["inline_admin_formsets"] if f.formset.model is Citation
    )
    prefilled = [f for f in citations.forms if f.initial.get("quote") == QUOTE]
    assert len(prefilled) == 1 and prefilled[0].initial["source"] == source.pk
    assert "Filled in from a reader" in page.content.decode()
    assert Correction.objects.get().status == "new"  # opening the form decides nothing

    # The writer's e-mail goes once the save is committed.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        saved = admin.post(accept["Location"], form_data(page))
    assert callbacks
    assert saved.status_code == 302, saved.context and saved.context["errors"]
    assert saved["Location"] == reverse("admin:corrections_correction_changelist")
    fact.refresh_from_db()
    assert fact.state == "no" and fact.verified_by == user
    assert fact.citations.filter(source=source, quote=QUOTE).exists()
    assert fact.history.latest().history_change_reason == READER_CORRECTION_REASON
    correction.refresh_from_db()
    assert correction.status == "accepted" and correction.decided_by == user
    assert correction.email == ""  # erased once the message went
    [message] = mail.outbox
    assert message.to == ["reader@example.org"]
    assert "accepted" in message.subject and "Zoom" in message.subject
    assert "a reader's correction" in message.body
    assert not getattr(message, "alternatives", None)  # plain text only, no HTML part

    log = client.get("/changes/").content.decode()
    assert "(a reader&#x27;s correction)" in log
    assert "reader@example.org" not in log and user.username not in log
    # The platform page no longer counts it as open.
    assert "correction open" not in client.get("/platforms/zoom/").content.decode()


def test_accepting_a_new_page_adds_it_as_a_source_first(client, fact, superuser):
    admin, _user = superuser
    correction = submit(client, fact, source_url="https://zoom.example/new-baa-page")
    accept_url = reverse("admin:corrections_correction_accept", args=[correction.pk])
    form = admin.get(accept_url)
    assert form.status_code == 200 and "Add the cited page as a source" in form.content.decode()
    refused = admin.post(accept_url, {"title": "", "publisher": "Zoom", "kind": "vendor"})
    assert refused.status_code == 200 and refused.context["form"].errors["title"]
    added = admin.post(
        accept_url,
        {
            "title": "BAA page",
            "publisher": "Zoom",
            "kind": "vendor",
            "url": "https://evil.example/",
        },
    )
    assert added.status_code == 302 and added["Location"].endswith(f"?correction={correction.pk}")
    source = Source.objects.get(url="https://zoom.example/new-baa-page")  # the writer's address
    assert source.accessed_on == datetime.date.today()
    page = admin.get(added["Location"])
    citations = next(
        f.formset for f in page.context["inline_admin_formsets"] if f.formset.model is Citation
    )
    assert any(f.initial.get("source") == source.pk for f in citations.forms)


def test_rejecting_needs_a_reason_and_tells_the_writer(client, fact, editor):
    admin, user = editor
    correction = submit(client, fact, email="reader@example.org")
    reject_url = reverse("admin:corrections_correction_reject", args=[correction.pk])
    refused = admin.post(reject_url, {"reason": ""})
    assert refused.status_code == 400
    assert Correction.objects.get().status == "new" and not mail.outbox
    done = admin.post(reject_url, {"reason": "The cited page is about the Enterprise plan only."})
    assert done.status_code == 302
    correction.refresh_from_db()
    assert correction.status == "rejected" and correction.decided_by == user
    assert correction.reason == "The cited page is about the Enterprise plan only."
    [message] = mail.outbox
    assert "not accepted" in message.subject
    assert "The cited page is about the Enterprise plan only." in message.body
    fact_before = Fact.objects.values("state", "verified_on").get(pk=fact.pk)
    assert fact_before == {"state": fact.state, "verified_on": fact.verified_on}
    # Decided once: neither accepting nor rejecting again does anything.
    again = admin.post(reject_url, {"reason": "again"})
    assert again.status_code == 302 and len(mail.outbox) == 1
    accept = admin.get(reverse("admin:corrections_correction_accept", args=[correction.pk]))
    assert accept["Location"] == review_url(correction)


def test_without_an_e_mail_nothing_is_sent(client, fact, editor):
    admin, _user = editor
    correction = submit(client, fact)
    admin.post(
        reverse("admin:corrections_correction_reject", args=[correction.pk]), {"reason": "No."}
    )
    assert Correction.objects.get().status == "rejected" and not mail.outbox


def test_a_correction_id_of_another_fact_or_a_decided_one_fills_in_nothing(client, fact, editor):
    admin, _user = editor
    correction = submit(client, fact, proposed_state="no")
    other = Fact.objects.exclude(pk=fact.pk).filter(platform=fact.platform).first()
    page = admin.get(
        reverse("admin:platforms_fact_change", args=[other.pk]) + f"?correction={correction.pk}"
    )
    assert page.context["adminform"].form["state"].value() == other.state
    junk = admin.get(reverse("admin:platforms_fact_change", args=[fact.pk]) + "?correction=abc")
    assert (
        junk.status_code == 200 and junk.context["adminform"].form["state"].value() == fact.state
    )


def test_people_who_are_not_staff_never_see_the_queue(client, fact):
    correction = submit(client, fact)
    assert client.get(review_url(correction)).status_code == 302  # to the login page
    reject = client.post(
        reverse("admin:corrections_correction_reject", args=[correction.pk]), {"reason": "x"}
    )
    assert reject.status_code == 302 and Correction.objects.get().status == "new"
