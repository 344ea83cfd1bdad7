"""Virement API routes, included from budgets/api_urls.py."""

from rest_framework.routers import SimpleRouter

from . import apis

router = SimpleRouter()
router.register("virements", apis.VirementViewSet, basename="api-virement")

urlpatterns = router.urls
