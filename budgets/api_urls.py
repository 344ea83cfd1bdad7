"""Budget API routes, included from consortia/api_urls.py under /api/."""

from rest_framework.routers import SimpleRouter

from . import apis

router = SimpleRouter()
router.register("budget-lines", apis.BudgetLineViewSet, basename="api-budget-line")
router.register("accounts", apis.AccountViewSet, basename="api-account")
router.register("model-runs", apis.ModelRunViewSet, basename="api-model-run")
router.register("virements", apis.VirementViewSet, basename="api-virement")
router.register("transactions", apis.TransactionViewSet, basename="api-transaction")

urlpatterns = router.urls
