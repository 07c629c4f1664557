"""The public form: no account, CSRF, a honeypot, a rate limit per client address.

Only this form page sets a cookie (the CSRF one); the fact pages link here and stay
cookie-free and cacheable."""

from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from alerts.throttle import allow, client_address
from platforms.models import Fact

from .forms import CorrectionForm

# Submissions per client address an hour, in the shared cache (alerts/throttle.py).
PER_CLIENT = (5, 60 * 60)


def published_fact(platform_slug, criterion_slug):
    return get_object_or_404(
        Fact.objects.published().select_related("platform", "criterion"),
        platform__slug=platform_slug,
        criterion__slug=criterion_slug,
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def suggest(request, platform_slug, criterion_slug):
    fact = published_fact(platform_slug, criterion_slug)
    context = {"fact": fact, "platform": fact.platform}
    if request.method != "POST":
        return render(
            request,
            "corrections/correction_form.html",
            {**context, "form": CorrectionForm(fact=fact)},
        )
    if not allow("correction-client", client_address(request), PER_CLIENT):
        return render(request, "corrections/rate_limited.html", context, status=429)
    form = CorrectionForm(request.POST, fact=fact)
    if not form.is_valid():
        return render(
            request, "corrections/correction_form.html", {**context, "form": form}, status=400
        )
    if not form.is_robot:
        form.save()
    return redirect(
        "corrections:sent", platform_slug=fact.platform.slug, criterion_slug=fact.criterion.slug
    )


@require_safe
def sent(request, platform_slug, criterion_slug):
    fact = published_fact(platform_slug, criterion_slug)
    return render(
        request, "corrections/correction_sent.html", {"fact": fact, "platform": fact.platform}
    )
