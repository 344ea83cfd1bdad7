"""Read endpoints for the tree, the signed-in person and the audit log, scoped by permissions."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import AuditEvent, Organisation, OrganisationKind
from .permissions import Action, active_assignments, grants_for
from .query import IsoDateTimeFilter
from .selectors import audit_events_visible_to, organisations_visible_to
from .serializers import AuditEventOut, MeOut, OrganisationOut


class OrganisationFilter(django_filters.FilterSet):
    parent = django_filters.CharFilter(field_name="parent__code")
    within = django_filters.CharFilter(method="filter_within", label="Code of an ancestor")
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Organisation
        fields = ["kind", "code", "parent", "within", "name"]

    def filter_within(self, queryset, name, value):
        ancestor = Organisation.objects.filter(code=value).first()
        return queryset.filter(path__startswith=ancestor.path) if ancestor else queryset.none()


class OrganisationViewSet(viewsets.ReadOnlyModelViewSet):
    """Every node of the tree the caller may see."""

    serializer_class = OrganisationOut
    filterset_class = OrganisationFilter
    lookup_field = "code"
    kind: str | None = None

    def get_queryset(self):
        queryset = organisations_visible_to(user=self.request.user).select_related("parent")
        return queryset.filter(kind=self.kind) if self.kind else queryset


class LocalityViewSet(OrganisationViewSet):
    kind = OrganisationKind.LOCALITY


class SubLocalityViewSet(OrganisationViewSet):
    kind = OrganisationKind.SUB_LOCALITY


class TokenObtainApi(ObtainAuthToken):
    """A token for `username` and `password`: DRF's, with the login lockout (django-axes).

    The credentials are checked against Django's own request, not DRF's wrapper, so that the
    lockout flag axes sets reaches its middleware, which answers 429 with what to do.
    """

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "request": self.request._request}


class MeApi(APIView):
    @extend_schema(responses=MeOut)
    def get(self, request):
        request.user.active_roles = active_assignments(request.user)
        return Response(MeOut(request.user).data)


class AuditEventFilter(django_filters.FilterSet):
    organisation = django_filters.CharFilter(field_name="organisation__code")
    event = django_filters.CharFilter(lookup_expr="startswith")
    since = IsoDateTimeFilter(field_name="at", lookup_expr="gte")

    class Meta:
        model = AuditEvent
        fields = ["organisation", "event", "subject_type", "subject_id", "since"]


class AuditEventViewSet(viewsets.ReadOnlyModelViewSet):
    """The audit log: finance and executives only."""

    serializer_class = AuditEventOut
    filterset_class = AuditEventFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return AuditEvent.objects.none()
        if not grants_for(self.request.user, Action.VIEW_AUDIT):
            raise PermissionDenied("Only finance and executives may read the audit log.")
        return audit_events_visible_to(user=self.request.user)
