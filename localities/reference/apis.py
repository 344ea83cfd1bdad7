"""Reference data on the API: import a published file (list sizes for a date, weighted
populations for a year) and read the files so far. Thin: the pipeline does the work."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from consortia.imports.models import Upload
from consortia.imports.selectors import uploads_visible_to
from consortia.imports.serializers import UploadOut
from consortia.imports.services import upload_receive, upload_require_complete
from consortia.permissions import Action, organisations_for

from .layouts import KINDS
from .selectors import reference_commissioner_for


class ReferenceFileIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=KINDS)
    as_of = serializers.DateField(
        required=False, help_text="The date list sizes are for (list sizes only)."
    )
    year = serializers.IntegerField(
        required=False,
        min_value=2000,
        max_value=2100,
        help_text="The financial year by its first calendar year (weighted populations only).",
    )
    file = serializers.FileField()


class ReferenceFileViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Import a published reference file: all rows (201) or, with any error, none (400, with the
    upload's id and each problem by row and column in `extra`)."""

    serializer_class = UploadOut
    parser_classes = [MultiPartParser, FormParser]
    filterset_fields = ["kind", "status"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Upload.objects.none()
        commissioners = organisations_for(self.request.user, Action.MANAGE_TREE)
        return uploads_visible_to(self.request.user, kinds=KINDS).filter(
            commissioner__in=commissioners
        )

    @extend_schema(request=ReferenceFileIn, responses={201: UploadOut})
    def create(self, request):
        data = ReferenceFileIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        upload = upload_receive(
            actor=request.user,
            commissioner=reference_commissioner_for(request.user),
            kind=values["kind"],
            file=values["file"],
            as_of=values.get("as_of"),
            year=values.get("year"),
        )
        upload_require_complete(upload)
        return Response(UploadOut(upload).data, status=status.HTTP_201_CREATED)
