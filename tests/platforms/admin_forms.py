"""Post admin forms the way a browser would: every field as the page rendered it."""

from django.contrib.auth import get_user_model
from django.test import Client


def form_data(response):
    """The POST body a browser would send for an admin change page, unedited: the main form,
    every inline's management form and every inline form, with their current values."""
    context = response.context
    forms = [context["adminform"].form]
    for inline in context.get("inline_admin_formsets", []):
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms:
        for field in form:
            value = field.value()
            if value is None or value is False:
                continue  # an empty input, an unticked box
            if value is True:
                data[field.html_name] = "on"
            elif isinstance(value, list | tuple):
                data[field.html_name] = [str(item) for item in value]
            else:
                data[field.html_name] = str(value)
    return data


def inline_prefix(data, inline, field, value):
    """The prefix ("facts-3") of the inline form whose `field` holds `value`."""
    for key, held in data.items():
        if key.startswith(f"{inline}-") and key.endswith(f"-{field}") and held == str(value):
            return key.removesuffix(f"-{field}")
    raise AssertionError(f"no {inline} form with {field}={value}")


def staff_client(username, *, superuser=True, groups=()):
    user = get_user_model().objects.create_user(
        username, email=f"{username}@example.org", is_staff=True, is_superuser=superuser
    )
    for group in groups:
        user.groups.add(group)
    client = Client()
    client.force_login(user)
    return client, user
