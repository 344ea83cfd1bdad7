from django.urls import include, path

from budgets.activity import apis as activity_apis
from localities.apis import PracticeViewSet
from localities.reference.apis import ReferenceFileViewSet

from . import apis
from .routing import ApiRootRouter

router = ApiRootRouter()
router.register("organisations", apis.OrganisationViewSet, basename="api-organisation")
router.register("localities", apis.LocalityViewSet, basename="api-locality")
router.register("sub-localities", apis.SubLocalityViewSet, basename="api-sub-locality")
router.register("practices", PracticeViewSet, basename="api-practice")
router.register("audit-events", apis.AuditEventViewSet, basename="api-audit-event")
router.register(
    "activity-imports", activity_apis.ActivityImportViewSet, basename="api-activity-import"
)
router.register("reference-files", ReferenceFileViewSet, basename="api-reference-file")
router.register(
    "reconciliations", activity_apis.ReconciliationViewSet, basename="api-reconciliation"
)

urlpatterns = [
    path("me/", apis.MeApi.as_view(), name="api-me"),
    path("auth/token/", apis.TokenObtainApi.as_view(), name="api-token"),
    path(
        "positions/<int:year>/<int:month>/<str:code>/",
        activity_apis.PositionsApi.as_view(),
        name="api-positions",
    ),
    *router.urls,
    path("", include("budgets.api_urls")),
    path("senate/", include("senate.api_urls")),
    path("referrals/", include("referrals.api_urls")),
    path("outcomes/", include("localities.api_urls")),
]
