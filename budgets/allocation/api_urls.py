"""Allocation API routes, included from budgets/api_urls.py."""

from rest_framework.routers import SimpleRouter

from . import apis

router = SimpleRouter()
router.register("model-runs", apis.ModelRunViewSet, basename="api-model-run")

urlpatterns = router.urls
