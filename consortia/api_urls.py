from django.urls import path
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from . import apis

router = DefaultRouter()
router.register("organisations", apis.OrganisationViewSet, basename="api-organisation")
router.register("localities", apis.LocalityViewSet, basename="api-locality")
router.register("sub-localities", apis.SubLocalityViewSet, basename="api-sub-locality")
router.register("practices", apis.PracticeViewSet, basename="api-practice")
router.register("audit-events", apis.AuditEventViewSet, basename="api-audit-event")

urlpatterns = [
    path("me/", apis.MeApi.as_view(), name="api-me"),
    path("auth/token/", obtain_auth_token, name="api-token"),
    *router.urls,
]
