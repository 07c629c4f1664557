from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    """Addresses are shown here only; erasing one deletes the row, which has no history
    table, and the admin's log keeps only "Subscription #id"."""

    list_display = [
        "email",
        "confirmed",
        "everything",
        "frequency",
        "created_at",
        "last_sent_at",
        "messages_sent",
    ]
    list_filter = ["frequency", "everything", ("confirmed_at", admin.EmptyFieldListFilter)]
    search_fields = ["email"]
    filter_horizontal = ["platforms"]
    fields = [
        "email",
        "everything",
        "platforms",
        "frequency",
        "created_at",
        "confirmed_at",
        "confirmation_sent_at",
        "sent_through",
        "last_sent_at",
        "messages_sent",
    ]
    readonly_fields = [
        "email",
        "created_at",
        "confirmed_at",
        "confirmation_sent_at",
        "sent_through",
        "last_sent_at",
        "messages_sent",
    ]
    actions = ["erase"]

    @admin.display(boolean=True, description=_("confirmed"), ordering="confirmed_at")
    def confirmed(self, obj):
        return obj.is_confirmed

    def has_add_permission(self, request):
        # Only the owner of an address subscribes it (double opt-in), never an editor.
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # "erase" says what it does
        return actions

    @admin.action(description=_("Erase the selected addresses"), permissions=["delete"])
    def erase(self, request, queryset):
        self.log_deletions(request, queryset)  # as "Subscription #id", never the address
        _total, per_model = queryset.delete()
        erased = per_model.get(Subscription._meta.label, 0)
        self.message_user(
            request,
            ngettext(
                "Erased %(count)d address; nothing of it is kept.",
                "Erased %(count)d addresses; nothing of them is kept.",
                erased,
            )
            % {"count": erased},
            messages.SUCCESS,
        )
