"""Budget API routes, included from consortia/api_urls.py under /api/. (The activity endpoints,
budgets/activity/apis.py, are registered on the API root's router in consortia/api_urls.py so
that the browsable root lists them.)"""

from django.urls import include, path

urlpatterns = [
    path("", include("budgets.ledger.api_urls")),
    path("", include("budgets.allocation.api_urls")),
    path("", include("budgets.delegation.api_urls")),
]
