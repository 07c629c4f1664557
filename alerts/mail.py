"""The two messages: the confirmation request and the digest of changes.

Plain text plus HTML (EmailMultiAlternatives), from DEFAULT_FROM_EMAIL, with absolute links
built from SITE_URL. Every digest carries the one-click unsubscribe headers of RFC 8058.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import links
from .digest import absolute_url

AUTOMATED = {"Auto-Submitted": "auto-generated"}


def message(to, subject, template, context, headers=None, connection=None):
    context = {**context, "site_url": absolute_url("/")}
    text = render_to_string(f"alerts/email/{template}.txt", context)
    html = render_to_string(f"alerts/email/{template}.html", context)
    email = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={**AUTOMATED, **(headers or {})},
        connection=connection,
    )
    email.attach_alternative(html, "text/html")
    return email


def confirmation(subscription, token, confirmation_choices):
    """The double opt-in message. It reads the same whether or not the address was already
    subscribed, as the page that sent it does."""
    return message(
        subscription.email,
        _("Confirm your Teletherapy Compare e-mail alerts"),
        "confirm",
        {
            "confirm_url": links.confirm_url(token),
            "choices": confirmation_choices,
            "hours": int(links.CONFIRM_MAX_AGE.total_seconds() // 3600),
            "subscribe_url": absolute_url(reverse("alerts:subscribe")),
        },
    )


def digest(subscription, groups, connection=None):
    count = sum(len(group.items) for group in groups)
    names = ", ".join(group.name for group in groups)
    subject = ngettext(
        "Teletherapy Compare: %(count)d change to %(names)s",
        "Teletherapy Compare: %(count)d changes to %(names)s",
        count,
    ) % {"count": count, "names": names}
    if len(subject) > 120:
        subject = subject[:117].rstrip(", ") + "…"
    unsubscribe = links.unsubscribe_url(subscription)
    return message(
        subscription.email,
        subject,
        "digest",
        {
            "groups": groups,
            "count": count,
            "weekly": subscription.frequency == subscription.Frequency.WEEKLY,
            "unsubscribe_url": unsubscribe,
            "change_log_url": absolute_url(reverse("compare:change-list")),
            "subscribe_url": absolute_url(reverse("alerts:subscribe")),
        },
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        connection=connection,
    )
