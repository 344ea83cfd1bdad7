"""Outcomes API routes, included from consortia/api_urls.py under /api/outcomes/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .outcomes import apis

router = SimpleRouter()
router.register("counts", apis.OutcomeCountViewSet, basename="api-outcome-count")
router.register("imports", apis.OutcomeImportViewSet, basename="api-outcome-import")

urlpatterns = [
    path("comparison/", apis.OutcomeComparisonApi.as_view(), name="api-outcome-comparison"),
    *router.urls,
]
