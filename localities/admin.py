from django.contrib import admin

from consortia.admin import ReadOnlyAdmin

from .models import (
    DeprivationScore,
    ListSizeBand,
    ListSizeSnapshot,
    OutcomeComparator,
    OutcomeCount,
)
from .outcomes.services import outcome_comparator_create


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


@admin.register(OutcomeComparator)
class OutcomeComparatorAdmin(ReadOnlyAdmin):
    """Comparators are added here (through the service, audited) and never edited."""

    list_display = ["code", "name", "commissioner"]
    fields = ["commissioner", "code", "name"]

    def has_add_permission(self, request, obj=None):
        return True

    def save_model(self, request, obj, form, change):
        saved = outcome_comparator_create(
            actor=request.user, commissioner=obj.commissioner, code=obj.code, name=obj.name
        )
        obj.pk = saved.pk


@admin.register(OutcomeCount)
class OutcomeCountAdmin(ReadOnlyAdmin):
    list_display = ["area", "measure", "period", "count", "upload"]
    list_filter = ["measure", "area"]
