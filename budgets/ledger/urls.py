"""Ledger pages, under /budgets/."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.budgets_home, name="budgets-home"),
    path("accounts/<id:pk>/", views.account_detail, name="budgets-account"),
]
