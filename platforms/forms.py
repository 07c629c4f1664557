from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Fact, State


class FactForm(forms.ModelForm):
    """A fact's sources live in a many-to-many field, so the rule "a fact other than unknown
    cites a source" can only be checked here, where the chosen sources are known."""

    class Meta:
        model = Fact
        fields = [
            "platform",
            "criterion",
            "state",
            "plan_scope",
            "note",
            "sources",
            "verified_on",
            "contested",
            "contested_reason",
        ]

    def clean(self):
        cleaned = super().clean()
        state = cleaned.get("state")
        if state and state != State.UNKNOWN and not cleaned.get("sources"):
            self.add_error(
                "sources",
                _("Cite at least one source, or set the state to “Unknown”."),
            )
        return cleaned
