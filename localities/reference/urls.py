"""Reference data pages, included from consortia/urls.py at /reference/."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.reference_files, name="reference-files"),
    path("<int:pk>/", views.reference_file, name="reference-file"),
]
