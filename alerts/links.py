"""The links an e-mail carries: confirm (signed, expiring, single use) and unsubscribe.

Both are signed with the site's SECRET_KEY and a salt of their own, so one kind of link can
never be used as the other. A confirmation link carries the choices made on the form: they
apply only when the link is used, so nobody can change an address's alerts without access to
its mailbox. Its nonce, kept in the row until used, makes it single use.
"""

from dataclasses import dataclass

from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from platforms.models import Platform

from .digest import absolute_url
from .models import CONFIRM_MAX_AGE, Subscription

CONFIRM_SALT = "alerts.confirm"
UNSUBSCRIBE_SALT = "alerts.unsubscribe"


class LinkError(Exception):
    status = 400
    title = _("This link does not work")
    message = _(
        "The link is incomplete or was changed. Copy the whole link from the e-mail, or "
        "subscribe again."
    )


class LinkExpired(LinkError):
    status = 410
    title = _("This link has expired")
    message = _(
        "Confirmation links work for three days. Subscribe again to get a new one; nothing "
        "is sent until you confirm."
    )


class LinkUsed(LinkError):
    status = 410
    title = _("This link has already been used")
    message = _(
        "Each confirmation link works once, and only the newest one sent works. If you "
        "confirmed already, your alerts are set; to change them, subscribe again."
    )


def confirm_token(subscription, nonce, *, everything, platform_ids, frequency):
    payload = {
        "s": subscription.pk,
        "n": nonce,
        "a": bool(everything),
        "p": sorted(platform_ids),
        "f": frequency,
    }
    return signing.dumps(payload, salt=CONFIRM_SALT, compress=True)


def confirm_url(token):
    return absolute_url(reverse("alerts:confirm", kwargs={"token": token}))


@dataclass
class Choices:
    """What a confirmation would set, for people to read (the e-mail, the confirm page)."""

    everything: bool
    platform_names: list
    frequency: str

    @classmethod
    def of(cls, everything, platform_ids, frequency):
        names = [] if everything else list(published(platform_ids).values_list("name", flat=True))
        return cls(everything, names, Subscription.Frequency(frequency).label)


def published(platform_ids):
    return Platform.objects.published().filter(pk__in=platform_ids).order_by("name")


class Confirmation:
    """A confirmation link, read and checked: the row it confirms and the choices."""

    def __init__(self, token):
        try:
            payload = signing.loads(
                token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE.total_seconds()
            )
        except signing.SignatureExpired as error:
            raise LinkExpired from error
        except signing.BadSignature as error:
            raise LinkError from error
        try:
            self.nonce = str(payload["n"])
            self.everything = bool(payload["a"])
            self.platform_ids = [int(pk) for pk in payload["p"]]
            self.frequency = Subscription.Frequency(payload["f"])
            pk = int(payload["s"])
        except (KeyError, TypeError, ValueError) as error:
            raise LinkError from error
        self.subscription = Subscription.objects.filter(pk=pk).first()
        if self.subscription is None or self.subscription.confirm_nonce != self.nonce:
            raise LinkUsed

    @staticmethod
    def summary(choices):
        return Choices.of(**choices)

    @property
    def choices(self):
        return Choices.of(self.everything, self.platform_ids, self.frequency)

    def apply(self):
        if not self.subscription.confirm(
            self.nonce,
            everything=self.everything,
            platform_ids=list(published(self.platform_ids).values_list("pk", flat=True)),
            frequency=self.frequency,
        ):
            raise LinkUsed
        return self.subscription


def unsubscribe_token(subscription):
    return signing.dumps([subscription.pk, subscription.unsubscribe_key], salt=UNSUBSCRIBE_SALT)


def unsubscribe_url(subscription):
    token = unsubscribe_token(subscription)
    return absolute_url(reverse("alerts:unsubscribe", kwargs={"token": token}))


def subscription_to_unsubscribe(token):
    """The subscription an unsubscribe link names, or None when it is already gone (erased,
    or unsubscribed before). Unsubscribe links do not expire: old e-mails keep working."""
    try:
        pk, key = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        pk, key = int(pk), str(key)
    except signing.BadSignature as error:
        raise LinkError from error
    except (TypeError, ValueError) as error:
        raise LinkError from error
    return Subscription.objects.filter(pk=pk, unsubscribe_key=key).first()
