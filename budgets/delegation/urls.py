"""Virement pages, under /budgets/."""

from django.urls import path

from . import views

urlpatterns = [
    path("virements/", views.virement_list, name="budgets-virements"),
    path("virements/<id:pk>/", views.virement_detail, name="budgets-virement"),
    path("virements/<id:pk>/approve/", views.virement_approve, name="budgets-virement-approve"),
    path("virements/<id:pk>/reject/", views.virement_reject, name="budgets-virement-reject"),
]
