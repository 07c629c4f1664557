from django import forms
from django.utils.translation import gettext_lazy as _

from platforms.models import http_url_validator

from .models import REASON_MAX_LENGTH, Correction


class CorrectionForm(forms.ModelForm):
    """The public form. Every field has a length limit (the model's, as `maxlength` too),
    the source must be an http(s) address, and a vendor says who they are."""

    # The honeypot, as on the alerts form: hidden from people, filled by form robots. A
    # filled one gets the same answer as anyone, and nothing is stored.
    website = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    source_url = forms.URLField(
        label=_("Address of a page that says so"),
        help_text=_("http:// or https:// only."),
        max_length=500,
        assume_scheme="https",
        validators=[http_url_validator],
        widget=forms.URLInput(attrs={"inputmode": "url"}),
    )

    class Meta:
        model = Correction
        fields = [
            "what_is_wrong",
            "proposed_state",
            "source_url",
            "quote",
            "writer",
            "disclosure",
            "email",
        ]
        labels = {
            "what_is_wrong": _("What is wrong"),
            "proposed_state": _("What it should say"),
            "source_url": _("Address of a page that says so"),
            "quote": _("The sentence on that page, copied word for word"),
            "writer": _("Who is writing"),
            "disclosure": _("If you are the vendor: your role and the company you speak for"),
            "email": _("Your e-mail, if you would like a reply (optional)"),
        }
        help_texts = {
            "source_url": _("http:// or https:// only."),
            "email": _(
                "Used for one message when the correction is accepted or rejected, "
                "then erased. Never shown."
            ),
        }
        widgets = {
            "what_is_wrong": forms.Textarea(attrs={"rows": 4}),
            "quote": forms.Textarea(attrs={"rows": 3}),
            "writer": forms.RadioSelect,
            "source_url": forms.URLInput(attrs={"inputmode": "url"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
        }

    def __init__(self, *args, fact=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.fact = fact
        self.fields["writer"].choices = Correction.Writer.choices
        self.fields["proposed_state"].choices = [
            ("", _("Choose a state")),
            *self.fields["proposed_state"].choices[1:],
        ]
        for name in ("what_is_wrong", "quote"):
            self.fields[name].strip = True

    def clean_quote(self):
        return " ".join(self.cleaned_data["quote"].split())

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("writer") == Correction.Writer.VENDOR
            and not cleaned.get("disclosure", "").strip()
        ):
            self.add_error(
                "disclosure",
                _(
                    "Say who you are at the vendor: corrections from vendors are welcome, "
                    "and shown to the editors as such."
                ),
            )
        return cleaned

    @property
    def is_robot(self):
        return bool(self.cleaned_data.get("website"))


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Why it is rejected (sent to the writer when they gave an e-mail)"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )
