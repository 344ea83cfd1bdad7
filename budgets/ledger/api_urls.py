"""Ledger API routes, included from budgets/api_urls.py."""

from consortia.routing import ApiRouter

from . import apis

router = ApiRouter()
router.register("budget-lines", apis.BudgetLineViewSet, basename="api-budget-line")
router.register("accounts", apis.AccountViewSet, basename="api-account")
router.register("transactions", apis.TransactionViewSet, basename="api-transaction")

urlpatterns = router.urls
