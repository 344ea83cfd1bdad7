"""Budget pages, included from consortia/urls.py at the root: the ledger, allocation and
delegation pages under /budgets/, activity and reconciliation at /activity/, /reconciliation/ and
/positions/, the dashboards at /dashboard/."""

from django.urls import include, path

urlpatterns = [
    path("budgets/", include("budgets.ledger.urls")),
    path("budgets/", include("budgets.allocation.urls")),
    path("budgets/", include("budgets.delegation.urls")),
    path("", include("budgets.activity.urls")),
    path("dashboard/", include("budgets.dashboards.urls")),
]
