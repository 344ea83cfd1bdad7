"""Virement pages, under /budgets/."""

from django.urls import path

from . import views

urlpatterns = [
    path("virements/", views.virement_list, name="budgets-virements"),
    path("virements/<int:pk>/", views.virement_detail, name="budgets-virement"),
    path("virements/<int:pk>/approve/", views.virement_approve, name="budgets-virement-approve"),
    path("virements/<int:pk>/reject/", views.virement_reject, name="budgets-virement-reject"),
]
