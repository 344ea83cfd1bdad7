"""Dashboard pages, included from consortia/urls.py at /dashboard/."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.county, name="dashboard"),
    path("<str:code>/", views.node, name="dashboard-node"),
    path("<str:code>/lines/<str:line>/", views.rows, name="dashboard-rows"),
    path(
        "<str:code>/lines/<str:line>/rows.<str:fmt>",
        views.rows_export,
        name="dashboard-rows-export",
    ),
    path("<str:code>/<str:table>.<str:fmt>", views.export, name="dashboard-export"),
]
