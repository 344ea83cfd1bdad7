"""Budget pages, included from consortia/urls.py at /budgets/."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.budgets_home, name="budgets-home"),
    path("<int:year>/", views.allocations, name="budgets-year"),
    path("<int:year>/allocations.csv", views.allocations_csv, name="budgets-year-csv"),
    path("<int:year>/allocations.xlsx", views.allocations_xlsx, name="budgets-year-xlsx"),
    path("accounts/<int:pk>/", views.account_detail, name="budgets-account"),
    path("runs/", views.model_run_list, name="budgets-runs"),
    path("runs/<int:pk>/", views.model_run_detail, name="budgets-run"),
    path("runs/<int:pk>/approve/", views.model_run_approve, name="budgets-run-approve"),
    path("runs/<int:pk>/steps.csv", views.model_run_csv, name="budgets-run-csv"),
    path(
        "runs/<int:pk>/practices.csv",
        views.model_run_practices_csv,
        name="budgets-run-practices-csv",
    ),
    path("runs/<int:pk>/every-step.xlsx", views.model_run_xlsx, name="budgets-run-xlsx"),
    path("virements/", views.virement_list, name="budgets-virements"),
    path("virements/<int:pk>/", views.virement_detail, name="budgets-virement"),
    path("virements/<int:pk>/approve/", views.virement_approve, name="budgets-virement-approve"),
    path("virements/<int:pk>/reject/", views.virement_reject, name="budgets-virement-reject"),
]
