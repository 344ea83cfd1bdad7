"""Referrals API routes, included from consortia/api_urls.py under /api/referrals/."""

from django.urls import path

from consortia.routing import ApiRouter

from . import apis

router = ApiRouter()
router.register("referrals", apis.ReferralViewSet, basename="api-referral")
router.register("imports", apis.ReferralImportViewSet, basename="api-referral-import")
router.register(
    "information-events", apis.InformationEventViewSet, basename="api-information-event"
)
router.register("peer-reviews", apis.PeerReviewViewSet, basename="api-peer-review")
router.register("schemes", apis.SchemeViewSet, basename="api-scheme")
router.register("interests", apis.InterestViewSet, basename="api-interest")

urlpatterns = [
    path("comparison/", apis.ComparisonApi.as_view(), name="api-referrals-comparison"),
    path("outliers/", apis.OutliersApi.as_view(), name="api-referrals-outliers"),
    path("practices/<str:code>/trend/", apis.TrendApi.as_view(), name="api-referrals-trend"),
    path("timeliness/", apis.TimelinessApi.as_view(), name="api-referrals-timeliness"),
    path("held-payments/", apis.HeldPaymentsApi.as_view(), name="api-referrals-held"),
    path(
        "providers/<str:code>/payment-on-information/",
        apis.PaymentOnInformationApi.as_view(),
        name="api-referrals-payment-on-information",
    ),
    path("register/", apis.RegisterApi.as_view(), name="api-referrals-register"),
    *router.urls,
]
