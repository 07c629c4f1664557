"""Subscribe, confirm, unsubscribe: no login anywhere.

Only the subscribe form uses a CSRF cookie. The confirm and unsubscribe links are their own
proof (a signed token naming a secret of the row), so their POSTs are CSRF-exempt: a mail
client's one-click unsubscribe (RFC 8058) posts with no cookie and no form token.
"""

import logging
import smtplib

from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from . import links, mail, throttle
from .forms import PreselectForm, SubscribeForm
from .models import Subscription

logger = logging.getLogger(__name__)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def subscribe(request):
    if request.method == "POST":
        return subscribe_post(request)
    preselect = PreselectForm(request.GET)
    if not preselect.is_valid():
        context = {"error": _("No published platform has that slug."), "form": SubscribeForm()}
        return render(request, "alerts/subscription_form.html", context, status=400)
    form = SubscribeForm(initial={"platforms": preselect.cleaned_data["platform"]})
    return render(request, "alerts/subscription_form.html", {"form": form})


def subscribe_post(request):
    if not throttle.allow_client(request):
        return render(request, "alerts/rate_limited.html", status=429)
    form = SubscribeForm(request.POST)
    if not form.is_valid():
        return render(request, "alerts/subscription_form.html", {"form": form}, status=400)
    # A robot, an address asked for too often, a new address, one already subscribed: the
    # same answer to each, so the page never tells whether an address is subscribed.
    if not form.is_robot and throttle.allow_email(form.cleaned_data["email"]):
        try:
            send_confirmation(form.cleaned_data["email"], form.choices())
        except (smtplib.SMTPException, OSError):
            logger.exception("The confirmation e-mail could not be sent")
            return render(request, "alerts/mail_unavailable.html", status=503)
    return redirect("alerts:subscribe-sent")


def send_confirmation(email, choices):
    with transaction.atomic():
        subscription, _created = Subscription.objects.get_or_create(email=email)
        nonce = subscription.start_confirmation()
    token = links.confirm_token(subscription, nonce, **choices)
    summary = links.Confirmation.summary(choices)
    mail.confirmation(subscription, token, summary).send()


@require_safe
def subscribe_sent(request):
    return render(request, "alerts/subscription_sent.html")


def link_error(request, error):
    return render(request, "alerts/link_error.html", {"error": error}, status=error.status)


@never_cache
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request, token):
    try:
        confirmation = links.Confirmation(token)
        if request.method == "POST":
            confirmation.apply()
            return render(request, "alerts/subscription_confirmed.html")
    except links.LinkError as error:
        return link_error(request, error)
    # A GET changes nothing: mail scanners open links; a person presses the button.
    context = {"confirmation": confirmation}
    return render(request, "alerts/subscription_confirm.html", context)


@never_cache
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token):
    try:
        subscription = links.subscription_to_unsubscribe(token)
    except links.LinkError as error:
        return link_error(request, error)
    if request.method == "POST":
        # The button on the page, or a mail client's one-click POST (RFC 8058): either way
        # the address is erased, not flagged.
        if subscription is not None:
            subscription.delete()
        return render(request, "alerts/unsubscribed.html")
    context = {"subscribed": subscription is not None}
    return render(request, "alerts/unsubscribe.html", context)
