"""The senate's REST API: the public decision register, meetings and their running (secretary),
votes (members), standards and compliance. Thin: each endpoint calls one selector or service;
refusals come back as {"message": ..., "extra": {...}}."""

from __future__ import annotations

import django_filters
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from budgets.models import ModelRun, Virement
from consortia.errors import ApplicationError
from consortia.models import Organisation, OrganisationKind

from . import services
from .models import (
    DocumentVersion,
    Motion,
    MotionKind,
    Result,
    SenateMembership,
    StandardVersion,
)
from .selectors import (
    decisions_public,
    item_get_visible,
    meeting_agenda,
    meeting_date,
    meeting_get_visible,
    meetings_visible_to,
    members_in_force,
    membership_of,
    motion_get_visible,
    senate_commissioner_for,
    senate_commissioners_run_by,
    standards_compliance,
    work_for_member,
)
from .serializers import (
    AdoptionIn,
    AdoptionOut,
    AttendanceIn,
    ComplianceRowOut,
    DecisionOut,
    DeclarationIn,
    DeclarationOut,
    ItemIn,
    ItemOut,
    MeetingDetailOut,
    MeetingIn,
    MeetingOut,
    MemberOut,
    MotionCloseIn,
    MotionIn,
    MotionOut,
    PaperIn,
    PaperOut,
    StandardVersionOut,
    VoteIn,
    VoteRecordedOut,
    VoteRecordIn,
    WorkOut,
)


def _commissioner(request) -> Organisation:
    commissioner = (
        senate_commissioner_for(user=request.user) if request.user.is_authenticated else None
    )
    commissioner = (
        commissioner or Organisation.objects.filter(kind=OrganisationKind.COMMISSIONER).first()
    )
    if commissioner is None:
        raise ApplicationError("No commissioner has a senate yet.")
    return commissioner


class DecisionFilter(django_filters.FilterSet):
    result = django_filters.ChoiceFilter(choices=Result.choices)
    kind = django_filters.ChoiceFilter(choices=MotionKind.choices)
    since = django_filters.DateFilter(field_name="meeting__starts_at", lookup_expr="date__gte")
    until = django_filters.DateFilter(field_name="meeting__starts_at", lookup_expr="date__lte")
    meeting = django_filters.CharFilter(field_name="meeting__reference")
    q = django_filters.CharFilter(method="filter_text", label="Words in the motion or item")

    class Meta:
        model = Motion
        fields = ["result", "kind", "since", "until", "meeting", "q"]

    def filter_text(self, queryset, name, value):
        return queryset.filter(pk__in=decisions_public(text=value).values("pk"))


class DecisionViewSet(viewsets.ReadOnlyModelViewSet):
    """The public decision register: every closed motion of the senate. No login needed."""

    serializer_class = DecisionOut
    filterset_class = DecisionFilter
    permission_classes = [AllowAny]

    def get_queryset(self):
        return decisions_public()


class MemberViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The senate's members today (names and roles are public)."""

    serializer_class = MemberOut
    permission_classes = [AllowAny]
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return SenateMembership.objects.none()
        return members_in_force(commissioner=_commissioner(self.request), on=timezone.localdate())


class MeetingViewSet(viewsets.ReadOnlyModelViewSet):
    """Meetings: published ones are public; drafts are the secretary's. The secretary schedules
    and runs them through the POST actions."""

    permission_classes = [AllowAny]

    def get_queryset(self):
        return meetings_visible_to(user=self.request.user).select_related(
            "chair__user", "commissioner"
        )

    def get_serializer_class(self):
        return MeetingDetailOut if self.action == "retrieve" else MeetingOut

    def retrieve(self, request, pk=None):
        meeting = meeting_get_visible(user=request.user, pk=pk)
        meeting.agenda = meeting_agenda(meeting=meeting)
        return Response(MeetingDetailOut(meeting, context={"request": request}).data)

    def _running(self, request, pk):
        if not request.user.is_authenticated:
            raise PermissionDenied("Log in as the senate secretary.")
        return meeting_get_visible(user=request.user, pk=pk)

    def _detail(self, request, meeting, code=status.HTTP_200_OK):
        meeting = meeting_get_visible(user=request.user, pk=meeting.pk)
        meeting.agenda = meeting_agenda(meeting=meeting)
        return Response(MeetingDetailOut(meeting, context={"request": request}).data, status=code)

    @extend_schema(request=MeetingIn, responses={201: MeetingDetailOut})
    def create(self, request):
        if not request.user.is_authenticated:
            raise PermissionDenied("Log in as the senate secretary.")
        data = MeetingIn(data=request.data)
        data.is_valid(raise_exception=True)
        run = senate_commissioners_run_by(user=request.user)
        if not run:
            raise PermissionDenied("Only the senate secretary schedules meetings.")
        commissioner = run[0]
        starts_at = data.validated_data["starts_at"]
        chair = get_object_or_404(
            members_in_force(commissioner=commissioner, on=timezone.localtime(starts_at).date()),
            pk=data.validated_data["chair"],
        )
        meeting = services.meeting_create(
            actor=request.user,
            commissioner=commissioner,
            title=data.validated_data["title"],
            starts_at=starts_at,
            location=data.validated_data["location"],
            chair=chair,
        )
        return self._detail(request, meeting, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=MeetingDetailOut)
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def publish(self, request, pk=None):
        meeting = services.meeting_publish(actor=request.user, meeting=self._running(request, pk))
        return self._detail(request, meeting)

    @extend_schema(request=None, responses=MeetingDetailOut)
    @action(detail=True, methods=["post"], url_path="open", permission_classes=[IsAuthenticated])
    def open_meeting(self, request, pk=None):
        meeting = services.meeting_open(actor=request.user, meeting=self._running(request, pk))
        return self._detail(request, meeting)

    @extend_schema(request=None, responses=MeetingDetailOut)
    @action(detail=True, methods=["post"], url_path="close", permission_classes=[IsAuthenticated])
    def close_meeting(self, request, pk=None):
        meeting = services.meeting_close(actor=request.user, meeting=self._running(request, pk))
        return self._detail(request, meeting)

    @extend_schema(request=AttendanceIn, responses=MeetingDetailOut)
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def attendance(self, request, pk=None):
        meeting = self._running(request, pk)
        data = AttendanceIn(data=request.data)
        data.is_valid(raise_exception=True)
        member = get_object_or_404(
            members_in_force(commissioner=meeting.commissioner, on=meeting_date(meeting)),
            pk=data.validated_data["member"],
        )
        services.attendance_record(
            actor=request.user, meeting=meeting, member=member, status=data.validated_data["status"]
        )
        return self._detail(request, meeting)

    @extend_schema(request=ItemIn, responses={201: ItemOut})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def items(self, request, pk=None):
        meeting = self._running(request, pk)
        data = ItemIn(data=request.data)
        data.is_valid(raise_exception=True)
        item = services.agenda_item_add(actor=request.user, meeting=meeting, **data.validated_data)
        return Response(ItemOut(item, context={"request": request}).data, status=201)


class ItemViewSet(viewsets.GenericViewSet):
    """Papers, declarations of interest and motions on an agenda item."""

    permission_classes = [IsAuthenticated]
    serializer_class = ItemOut

    def get_queryset(self):  # for the schema; every action looks the item up by visibility
        return meetings_visible_to(user=self.request.user).none()

    @extend_schema(request={"multipart/form-data": PaperIn}, responses={201: PaperOut})
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def papers(self, request, pk=None):
        item = item_get_visible(user=request.user, pk=pk)
        data = PaperIn(data=request.data)
        data.is_valid(raise_exception=True)
        paper = services.paper_attach(
            actor=request.user,
            item=item,
            title=data.validated_data["title"],
            file=data.validated_data["file"],
        )
        return Response(PaperOut(paper, context={"request": request}).data, status=201)

    @extend_schema(request=DeclarationIn, responses={201: DeclarationOut})
    @action(detail=True, methods=["post"], parser_classes=[JSONParser, FormParser])
    def declarations(self, request, pk=None):
        item = item_get_visible(user=request.user, pk=pk)
        data = DeclarationIn(data=request.data)
        data.is_valid(raise_exception=True)
        meeting = item.meeting
        on = meeting_date(meeting)
        if "member" in data.validated_data:
            member = get_object_or_404(
                members_in_force(commissioner=meeting.commissioner, on=on),
                pk=data.validated_data["member"],
            )
        else:
            member = membership_of(user=request.user, commissioner=meeting.commissioner, on=on)
            if member is None:
                raise PermissionDenied("Only members of the senate declare interests.")
        declaration = services.declaration_record(
            actor=request.user,
            item=item,
            member=member,
            interest=data.validated_data["interest"],
        )
        return Response(DeclarationOut(declaration).data, status=201)

    @extend_schema(request=MotionIn, responses={201: MotionOut})
    @action(detail=True, methods=["post"], parser_classes=[JSONParser, FormParser])
    def motions(self, request, pk=None):
        item = item_get_visible(user=request.user, pk=pk)
        data = MotionIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        commissioner = item.meeting.commissioner

        def pick(queryset, key):
            return get_object_or_404(queryset, pk=v[key]) if key in v else None

        motion = services.motion_propose(
            actor=request.user,
            item=item,
            kind=v["kind"],
            text=v["text"],
            model_run=pick(ModelRun.objects.filter(commissioner=commissioner), "model_run"),
            virement=pick(Virement.objects.select_related("source__line"), "virement"),
            standard_version=pick(
                StandardVersion.objects.select_related("standard__care_stream"),
                "standard_version",
            ),
            document_version=pick(
                DocumentVersion.objects.select_related("document"), "document_version"
            ),
        )
        return Response(MotionOut(motion).data, status=201)


class MotionViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A motion: the secretary opens and closes its vote and records shows of hands; a voting
    member votes for, against or abstain while it is open."""

    serializer_class = MotionOut
    permission_classes = [AllowAny]

    def get_queryset(self):
        return Motion.objects.filter(meeting__in=meetings_visible_to(user=self.request.user))

    def _motion(self, request, pk):
        return motion_get_visible(user=request.user, pk=pk)

    def _out(self, motion, code=status.HTTP_200_OK):
        motion = Motion.objects.prefetch_related("votes__member__user").get(pk=motion.pk)
        return Response(MotionOut(motion).data, status=code)

    @extend_schema(request=None, responses=MotionOut)
    @action(detail=True, methods=["post"], url_path="open", permission_classes=[IsAuthenticated])
    def open_vote(self, request, pk=None):
        motion = services.motion_open(actor=request.user, motion=self._motion(request, pk))
        return self._out(motion)

    @extend_schema(request=None, responses=MotionOut)
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def withdraw(self, request, pk=None):
        motion = services.motion_withdraw(actor=request.user, motion=self._motion(request, pk))
        return self._out(motion)

    @extend_schema(request=VoteIn, responses={201: VoteRecordedOut})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def vote(self, request, pk=None):
        motion = self._motion(request, pk)
        data = VoteIn(data=request.data)
        data.is_valid(raise_exception=True)
        vote = services.vote_cast(
            actor=request.user, motion=motion, choice=data.validated_data["choice"]
        )
        return Response(VoteRecordedOut(vote).data, status=201)

    @extend_schema(request=VoteRecordIn, responses={201: VoteRecordedOut})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def record(self, request, pk=None):
        motion = self._motion(request, pk)
        data = VoteRecordIn(data=request.data)
        data.is_valid(raise_exception=True)
        meeting = motion.meeting
        member = get_object_or_404(
            members_in_force(commissioner=meeting.commissioner, on=meeting_date(meeting)),
            pk=data.validated_data["member"],
        )
        vote = services.vote_record(
            actor=request.user, motion=motion, member=member, choice=data.validated_data["choice"]
        )
        return Response(VoteRecordedOut(vote).data, status=201)

    @extend_schema(request=MotionCloseIn, responses=MotionOut)
    @action(detail=True, methods=["post"], url_path="close", permission_classes=[IsAuthenticated])
    def close_vote(self, request, pk=None):
        motion = self._motion(request, pk)
        data = MotionCloseIn(data=request.data)
        data.is_valid(raise_exception=True)
        motion = services.motion_close(
            actor=request.user, motion=motion, casting_vote=data.validated_data["casting_vote"]
        )
        return self._out(motion)


class StandardViewSet(viewsets.ReadOnlyModelViewSet):
    """Core service standards and pathways of the five care streams, every version, with
    which elements are mandatory in every locality and which are flexible."""

    serializer_class = StandardVersionOut
    permission_classes = [AllowAny]
    filterset_fields = ["status"]

    def get_queryset(self):
        return StandardVersion.objects.select_related("standard__care_stream").prefetch_related(
            "elements"
        )

    @extend_schema(request=AdoptionIn, responses={201: AdoptionOut(many=True)})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def adoptions(self, request, pk=None):
        """A locality records its adoption of elements, with local variations (flexible only)."""
        version = get_object_or_404(StandardVersion, pk=pk)
        data = AdoptionIn(data=request.data)
        data.is_valid(raise_exception=True)
        locality = get_object_or_404(
            Organisation, code=data.validated_data["locality"], kind=OrganisationKind.LOCALITY
        )
        saved = services.adoption_record(
            actor=request.user,
            locality=locality,
            version=version,
            elements={e["element"]: e["variation"] for e in data.validated_data["elements"]},
        )
        return Response(AdoptionOut(saved, many=True).data, status=201)


class ComplianceApi(APIView):
    """Per adopted standard, which localities have adopted all of its mandatory elements."""

    permission_classes = [AllowAny]

    @extend_schema(responses=ComplianceRowOut(many=True))
    def get(self, request):
        compliance = standards_compliance(commissioner=_commissioner(request))
        return Response(ComplianceRowOut(compliance["rows"], many=True).data)


class WorkApi(APIView):
    """What needs the signed-in member: votes open to them, meetings with papers, results."""

    @extend_schema(responses=WorkOut)
    def get(self, request):
        return Response(
            WorkOut(work_for_member(user=request.user), context={"request": request}).data
        )
