"""Admin for reference data. Changes go through the services, so they are checked and audited."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import AuditEvent, Organisation, RoleAssignment, User
from .services import ORGANISATION_FIELDS, organisation_create, organisation_update


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by services (audited): viewable here, never edited."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class ConsortiaUserAdmin(UserAdmin):
    pass


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "parent", "postcode"]
    list_filter = ["kind"]
    search_fields = ["code", "name", "postcode"]
    readonly_fields = ["path"]
    fields = [
        "kind",
        "code",
        "name",
        "parent",
        "postcode",
        "locality_level_name",
        "sub_locality_level_name",
        "path",
    ]

    def get_readonly_fields(self, request, obj=None):
        return ["path", "kind", "code"] if obj else ["path"]

    def has_delete_permission(self, request, obj=None):
        return False  # nodes are kept for history; move or rename instead

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in form.cleaned_data if f in ORGANISATION_FIELDS}
        if change:
            data.pop("kind", None)
            data.pop("code", None)
            organisation_update(
                actor=request.user, organisation=obj, parent=form.cleaned_data.get("parent"), **data
            )
        else:
            created = organisation_create(
                actor=request.user, parent=form.cleaned_data.get("parent"), **data
            )
            obj.pk = created.pk


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ReadOnlyAdmin):
    list_display = ["user", "role", "organisation", "starts_on", "ends_on"]
    list_filter = ["role"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor_label", "event", "subject_label", "organisation"]
    list_filter = ["event"]
    search_fields = ["subject_label", "actor_label"]
