"""The corrections queue, and what accepting one does to the fact's edit form.

From a submission to a changed fact: *Accept and edit the fact* (first adding the cited page
as a source when it is not one yet) opens the fact's own change form with the proposed state,
today's check date and a citation of the page with the writer's quote filled in. Saving it
records the change as "a reader's correction", marks the correction accepted and e-mails the
writer. *Reject* asks for a reason, which the writer receives.
"""

import logging
import smtplib

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from platforms.models import Citation, Source

from . import mail
from .forms import RejectForm
from .models import READER_CORRECTION_REASON, Correction

logger = logging.getLogger(__name__)


def send_decision(request, correction):
    """The writer's one message, after the decision is committed; then the address goes."""
    if not correction.email:
        return
    try:
        mail.decision(correction).send()
    except (smtplib.SMTPException, OSError):
        logger.exception("The correction's decision e-mail could not be sent")
        messages.warning(request, _("The e-mail to the writer could not be sent."))
        return
    Correction.objects.filter(pk=correction.pk).update(email="")
    messages.info(request, _("The writer was e-mailed; their address is now erased."))


class NewSourceForm(forms.ModelForm):
    """The cited page as a new source: its address is the writer's, the rest the editor's."""

    url = forms.URLField(label=_("URL"), assume_scheme="https", disabled=True, required=False)

    class Meta:
        model = Source
        fields = ["url", "title", "publisher", "kind", "published_on"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.accessed_on = timezone.localdate()


@admin.register(Correction)
class CorrectionAdmin(admin.ModelAdmin):
    list_display = ["fact", "proposed_state", "writer", "status", "submitted_at"]
    list_filter = ["status", "writer"]
    list_select_related = ["fact__platform", "fact__criterion"]
    search_fields = [
        "fact__platform__name",
        "fact__criterion__label",
        "what_is_wrong",
        "source_url",
    ]
    date_hierarchy = "submitted_at"

    def has_add_permission(self, request):
        return False  # corrections come from readers, through the public form

    def has_delete_permission(self, request, obj=None):
        return False  # a decision's trail stays

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/accept/", view(self.accept_view), name="corrections_correction_accept"),
            path("<int:pk>/reject/", view(self.reject_view), name="corrections_correction_reject"),
            *super().get_urls(),
        ]

    def get_object_or_404(self, request, pk):
        if not self.has_change_permission(request):
            raise PermissionDenied
        return get_object_or_404(
            Correction.objects.select_related("fact__platform", "fact__criterion"), pk=pk
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The submission as the writer sent it (as text), with the two decisions."""
        if not object_id.isdigit():
            raise Http404(_("No such correction."))
        correction = get_object_or_404(
            Correction.objects.select_related("fact__platform", "fact__criterion", "decided_by"),
            pk=object_id,
        )
        if not self.has_view_or_change_permission(request, correction):
            raise PermissionDenied
        return self.review_page(request, correction, RejectForm())

    def review_page(self, request, correction, reject_form, status=200):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Correction to %(fact)s") % {"fact": correction.fact},
            "correction": correction,
            "reject_form": reject_form,
            "can_decide": correction.is_open and self.has_change_permission(request, correction),
            "source": Source.objects.filter(url=correction.source_url).first(),
        }
        return TemplateResponse(
            request, "admin/corrections/correction/review.html", context, status=status
        )

    def accept_view(self, request, pk):
        correction = self.get_object_or_404(request, pk)
        if not correction.is_open:
            messages.warning(request, _("This correction was already decided."))
            return redirect("admin:corrections_correction_change", correction.pk)
        fact_form = reverse("admin:platforms_fact_change", args=[correction.fact_id])
        target = f"{fact_form}?correction={correction.pk}"
        if Source.objects.filter(url=correction.source_url).exists():
            return redirect(target)
        # The page is not a source yet: add it first, then cite it.
        initial = {"url": correction.source_url}
        form = NewSourceForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            source = form.save(commit=False)
            source.url = correction.source_url
            source._change_reason = READER_CORRECTION_REASON
            source.save()
            return redirect(target)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Add the cited page as a source"),
            "correction": correction,
            "form": form,
        }
        return TemplateResponse(request, "admin/corrections/correction/new_source.html", context)

    def reject_view(self, request, pk):
        correction = self.get_object_or_404(request, pk)
        if request.method != "POST":
            return redirect("admin:corrections_correction_change", correction.pk)
        if not correction.is_open:
            messages.warning(request, _("This correction was already decided."))
            return redirect("admin:corrections_correction_change", correction.pk)
        form = RejectForm(request.POST)
        if not form.is_valid():
            return self.review_page(request, correction, form, status=400)
        with transaction.atomic():
            correction.decide(
                Correction.Status.REJECTED, request.user, form.cleaned_data["reason"]
            )
        send_decision(request, correction)
        messages.success(request, _("Correction rejected."))
        return redirect("admin:corrections_correction_changelist")


class FromCorrectionMixin:
    """For the Fact admin: `?correction=<id>` on a fact's change form fills in the proposal
    and, on save, credits it and accepts the correction."""

    def correction_for(self, request, obj):
        pk = request.GET.get("correction", "")
        if obj is None or not pk.isdigit():
            return None
        return Correction.objects.open().filter(pk=pk, fact=obj).first()

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        correction = self.correction_for(request, obj)
        if correction is None or request.method != "GET":
            return form
        # The check date is today's: the editor confirms the proposal against its page now.
        proposal = {"state": correction.proposed_state, "verified_on": timezone.localdate()}

        class FromCorrection(form):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.initial.update(proposal)

        return FromCorrection

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        correction = self.correction_for(request, obj)
        if correction is None or request.method != "GET" or inline.model is not Citation:
            return kwargs
        source = Source.objects.filter(url=correction.source_url).first()
        if source is not None and not obj.citations.filter(source=source).exists():
            kwargs["initial"] = [
                {"source": source.pk, "quote": correction.quote, "seen_on": timezone.localdate()}
            ]
        return kwargs

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        obj = self.get_object(request, object_id) if object_id else None
        correction = self.correction_for(request, obj)
        if correction is not None:
            extra_context = {**(extra_context or {}), "correction": correction}
            if request.method == "GET":
                messages.info(
                    request,
                    _(
                        "Filled in from a reader's correction (“%(what)s”): check the quote "
                        "on %(url)s, then save. Saving accepts the correction."
                    )
                    % {
                        "what": Truncator(correction.what_is_wrong).chars(200),
                        "url": correction.source_url,
                    },
                )
        return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        correction = self.correction_for(request, obj)
        if correction is not None:
            obj._change_reason = READER_CORRECTION_REASON
        super().save_model(request, obj, form, change)
        if correction is not None:
            correction.decide(Correction.Status.ACCEPTED, request.user)
            request._accepted_correction = correction

    def response_change(self, request, obj):
        correction = getattr(request, "_accepted_correction", None)
        if correction is None:
            return super().response_change(request, obj)
        # After the save is committed (the admin's change view runs in one transaction).
        transaction.on_commit(lambda: send_decision(request, correction))
        messages.success(
            request,
            _("%(fact)s saved from the reader's correction, which is now accepted.")
            % {"fact": obj},
        )
        return redirect("admin:corrections_correction_changelist")
