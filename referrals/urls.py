from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="referrals-home"),
    path("comparison/", views.comparison, name="referrals-comparison"),
    path("prescribing/", views.prescribing, name="referrals-prescribing"),
    path("practices/<str:code>/trend/", views.trend, name="referrals-trend"),
    path("reviews/", views.reviews, name="referrals-reviews"),
    path("reviews/new/", views.review_new, name="referrals-review-new"),
    path("reviews/<id:pk>/", views.review_detail, name="referrals-review"),
    path("reviews/<id:pk>/notes/", views.review_note, name="referrals-review-note"),
    path("reviews/<id:pk>/close/", views.review_close, name="referrals-review-close"),
    path("timeliness/", views.timeliness, name="referrals-timeliness"),
    path("held/", views.held, name="referrals-held"),
    path(
        "providers/<str:code>/payment-on-information/",
        views.payment_on_information,
        name="referrals-payment-on-information",
    ),
    path("schemes/", views.schemes, name="referrals-schemes"),
    path("schemes/new/", views.scheme_new, name="referrals-scheme-new"),
    path("schemes/<id:pk>/", views.scheme_detail, name="referrals-scheme"),
    path("schemes/<id:pk>/activity/", views.scheme_activity, name="referrals-scheme-activity"),
    path("schemes/<id:pk>/justify/", views.scheme_justify, name="referrals-scheme-justify"),
    path("interests/", views.interests, name="referrals-interests"),
    path("register/", views.register, name="referrals-register"),
    path("imports/", views.imports, name="referrals-imports"),
    path("imports/<id:pk>/", views.import_detail, name="referrals-import"),
]
