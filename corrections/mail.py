"""The one message a writer gets: their correction was accepted or rejected.

Plain text only: nothing the writer typed is ever rendered as HTML."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from alerts.digest import absolute_url

AUTOMATED = {"Auto-Submitted": "auto-replied"}


def decision(correction):
    fact = correction.fact
    accepted = correction.status == correction.Status.ACCEPTED
    subject = (
        _("Your correction to %(fact)s was accepted")
        if accepted
        else _("Your correction to %(fact)s was not accepted")
    ) % {"fact": f"{fact.platform.name} · {fact.criterion.label}"}
    body = render_to_string(
        "corrections/email/decision.txt",
        {
            "correction": correction,
            "fact": fact,
            "accepted": accepted,
            "fact_url": absolute_url(fact.platform.get_absolute_url())
            + f"#fact-{fact.criterion.slug}",
        },
    )
    return EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[correction.email],
        headers=AUTOMATED,
    )
