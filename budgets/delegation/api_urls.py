"""Virement API routes, included from budgets/api_urls.py."""

from consortia.routing import ApiRouter

from . import apis

router = ApiRouter()
router.register("virements", apis.VirementViewSet, basename="api-virement")

urlpatterns = router.urls
