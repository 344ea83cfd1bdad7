"""Senate API routes, included from consortia/api_urls.py at /api/senate/."""

from django.urls import path

from consortia.routing import ApiRouter

from . import apis

router = ApiRouter()
router.register("decisions", apis.DecisionViewSet, basename="api-senate-decision")
router.register("members", apis.MemberViewSet, basename="api-senate-member")
router.register("meetings", apis.MeetingViewSet, basename="api-senate-meeting")
router.register("items", apis.ItemViewSet, basename="api-senate-item")
router.register("motions", apis.MotionViewSet, basename="api-senate-motion")
router.register("standards", apis.StandardViewSet, basename="api-senate-standard")

urlpatterns = [
    path("compliance/", apis.ComplianceApi.as_view(), name="api-senate-compliance"),
    path("me/", apis.WorkApi.as_view(), name="api-senate-me"),
    *router.urls,
]
