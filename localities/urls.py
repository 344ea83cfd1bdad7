"""Outcome pages, included from consortia/urls.py at /outcomes/."""

from django.urls import path

from .outcomes import views

urlpatterns = [
    path("", views.outcomes, name="outcomes"),
    path("comparison.<str:fmt>", views.comparison_export, name="outcomes-export"),
    path("counts.<str:fmt>", views.counts_export, name="outcomes-counts-export"),
    path("imports/", views.imports, name="outcomes-imports"),
    path("imports/<id:pk>/", views.import_detail, name="outcomes-import"),
]
