"""Outcomes API routes, included from consortia/api_urls.py under /api/outcomes/."""

from django.urls import path

from consortia.routing import ApiRouter

from .outcomes import apis

router = ApiRouter()
router.register("counts", apis.OutcomeCountViewSet, basename="api-outcome-count")
router.register("imports", apis.OutcomeImportViewSet, basename="api-outcome-import")

urlpatterns = [
    path("comparison/", apis.OutcomeComparisonApi.as_view(), name="api-outcome-comparison"),
    *router.urls,
]
