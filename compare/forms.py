"""Query parameters of the pages that are not the list (whose FilterSet validates its own):
forms, like any other input. Unknown parameters never reach the ORM or a cache key."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from platforms.models import Platform

MIN_COMPARE, MAX_COMPARE = 2, 4
MAX_FIND_LENGTH = 100


class SlugListField(forms.Field):
    """Every value of a repeated parameter, stripped, blanks dropped, order kept."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        return [slug.strip() for slug in value or [] if slug.strip()]


class ComparisonForm(forms.Form):
    """/compare/ and its exports: which platforms (2 to 4), only differences, and the search
    among platforms to add. Its errors read as sentences: they become the 400 page."""

    p = SlugListField(required=False)
    diff = forms.ChoiceField(choices=[("", ""), ("0", "0"), ("1", "1")], required=False)
    find = forms.CharField(required=False, max_length=None)

    def __init__(self, data, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.query = data

    def clean_find(self):
        return self.cleaned_data["find"][:MAX_FIND_LENGTH]

    def clean(self):
        cleaned = super().clean()
        errors = []
        unknown_params = sorted(set(self.query) - set(self.fields))
        if unknown_params:
            errors.append(
                _("This page does not understand the parameter(s): %(names)s.")
                % {"names": ", ".join(unknown_params)}
            )
        slugs = cleaned.get("p") or []
        repeated = sorted({slug for slug in slugs if slugs.count(slug) > 1})
        if repeated:
            errors.append(
                _("Each platform can be compared once; repeated: %(slugs)s.")
                % {"slugs": ", ".join(repeated)}
            )
        slugs = list(dict.fromkeys(slugs))
        cleaned["p"] = slugs
        if "diff" in self.errors or len(self.query.getlist("diff")) > 1:
            self.errors.pop("diff", None)
            errors.append(_("“diff” takes 1 (only differences) or 0."))
        if len(slugs) < MIN_COMPARE:
            errors.append(_("Choose at least two platforms to compare."))
        elif len(slugs) > MAX_COMPARE:
            errors.append(
                _("Compare at most four platforms at a time; you chose %(n)d.") % {"n": len(slugs)}
            )
        if errors:
            raise forms.ValidationError(errors)
        return cleaned

    @property
    def slugs(self):
        if hasattr(self, "cleaned_data"):
            return self.cleaned_data.get("p") or []
        return []

    def messages(self):
        """Every error as a sentence, in the order the page lists them."""
        return [str(m) for messages in self.errors.values() for m in messages]


class ChangeLogForm(forms.Form):
    """/changes/ and its feed: ?platform=<slug> follows one published platform."""

    platform = forms.ModelChoiceField(
        queryset=Platform.objects.published().only("name", "slug"),
        to_field_name="slug",
        required=False,
        error_messages={"invalid_choice": gettext_lazy("No published platform has that slug.")},
    )
