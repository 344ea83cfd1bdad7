from django.urls import path

from . import views

urlpatterns = [
    path("<id:pk>/errors.csv", views.upload_errors_csv, name="upload-errors"),
    path("<id:pk>/file", views.upload_file, name="upload-file"),
    path("templates/<str:kind>.<str:fmt>", views.layout_template, name="layout-template"),
]
