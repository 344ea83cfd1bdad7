"""Allocation API routes, included from budgets/api_urls.py."""

from consortia.routing import ApiRouter

from . import apis

router = ApiRouter()
router.register("model-runs", apis.ModelRunViewSet, basename="api-model-run")

urlpatterns = router.urls
