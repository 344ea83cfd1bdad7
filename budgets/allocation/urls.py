"""Allocation pages, under /budgets/: allocations by year, and model runs."""

from django.urls import path

from . import views

urlpatterns = [
    path("<int:year>/", views.allocations, name="budgets-year"),
    path("<int:year>/allocations.csv", views.allocations_csv, name="budgets-year-csv"),
    path("<int:year>/allocations.xlsx", views.allocations_xlsx, name="budgets-year-xlsx"),
    path("runs/", views.model_run_list, name="budgets-runs"),
    path("runs/<id:pk>/", views.model_run_detail, name="budgets-run"),
    path("runs/<id:pk>/approve/", views.model_run_approve, name="budgets-run-approve"),
    path("runs/<id:pk>/steps.csv", views.model_run_csv, name="budgets-run-csv"),
    path(
        "runs/<id:pk>/practices.csv",
        views.model_run_practices_csv,
        name="budgets-run-practices-csv",
    ),
    path("runs/<id:pk>/every-step.xlsx", views.model_run_xlsx, name="budgets-run-xlsx"),
]
