from django import forms
from django.utils.translation import gettext_lazy as _

from platforms.models import Platform

from .models import Subscription


def published_platforms():
    return Platform.objects.published().only("name", "slug").order_by("name")


class PreselectForm(forms.Form):
    """?platform=<slug> (repeatable) on the subscribe page: the platforms ticked at first."""

    platform = forms.ModelMultipleChoiceField(
        queryset=published_platforms(), to_field_name="slug", required=False
    )


class SubscribeForm(forms.Form):
    email = forms.EmailField(
        label=_("Your e-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    everything = forms.BooleanField(
        label=_("Every platform, including ones added later"), required=False
    )
    platforms = forms.ModelMultipleChoiceField(
        label=_("Or only these platforms"),
        queryset=published_platforms(),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    frequency = forms.ChoiceField(
        label=_("How often"),
        choices=Subscription.Frequency.choices,
        initial=Subscription.Frequency.IMMEDIATE,
        widget=forms.RadioSelect,
    )
    # The honeypot: hidden from people (off screen, out of the tab order, hidden from screen
    # readers); a form robot fills every field. A filled one is answered like any other
    # request, so the robot learns nothing, and nothing is sent.
    website = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def clean_email(self):
        return Subscription.normalize(self.cleaned_data["email"])

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("everything") and not cleaned.get("platforms") and not self.errors:
            raise forms.ValidationError(
                _("Choose every platform, or at least one platform to follow."),
                code="nothing_chosen",
            )
        return cleaned

    @property
    def is_robot(self):
        return bool(self.cleaned_data.get("website"))

    def choices(self):
        everything = self.cleaned_data["everything"]
        return {
            "everything": everything,
            "platform_ids": [] if everything else [p.pk for p in self.cleaned_data["platforms"]],
            "frequency": self.cleaned_data["frequency"],
        }
