from django.contrib import admin

from consortia.admin import ReadOnlyAdmin

from .models import DeprivationScore, ListSizeBand, ListSizeSnapshot


class ListSizeBandInline(admin.TabularInline):
    model = ListSizeBand
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ListSizeSnapshot)
class ListSizeSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["practice", "as_of", "registered_patients", "source"]
    search_fields = ["practice__code", "practice__name"]
    inlines = [ListSizeBandInline]


@admin.register(DeprivationScore)
class DeprivationScoreAdmin(ReadOnlyAdmin):
    list_display = ["practice", "as_of", "score", "source"]
