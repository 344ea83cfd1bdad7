from django.urls import path

from . import views

urlpatterns = [
    path("activity/", views.imports, name="activity-imports"),
    path("activity/imports/<id:pk>/", views.import_detail, name="activity-import"),
    path("reconciliation/", views.reconciliation, name="reconciliation"),
    path("reconciliation/run/", views.reconciliation_run, name="reconciliation-run"),
    path("reconciliation/close/", views.month_close_view, name="month-close"),
    path("reconciliation/reopen/", views.month_reopen_view, name="month-reopen"),
    path("positions/<int:year>/<int:month>/<str:code>/", views.positions, name="positions"),
]
