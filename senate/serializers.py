"""API shapes for the senate. Public outputs carry names, roles, votes and declarations only."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import (
    AttendanceStatus,
    Choice,
    Declaration,
    Meeting,
    Motion,
    MotionKind,
    Paper,
    SenateMembership,
    StandardElement,
    StandardKind,
    StandardVersion,
    Vote,
)


class MemberOut(serializers.ModelSerializer):
    name = serializers.CharField(source="user.get_full_name")
    locality = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    votes = serializers.BooleanField(read_only=True)

    class Meta:
        model = SenateMembership
        fields = ["id", "name", "title", "kind", "votes", "locality", "starts_on", "ends_on"]


class VoteOut(serializers.ModelSerializer):
    member = serializers.CharField(source="member.user.get_full_name")
    member_title = serializers.CharField(source="member.title")

    class Meta:
        model = Vote
        fields = ["member", "member_title", "choice", "method", "cast_at"]


class DeclarationOut(serializers.ModelSerializer):
    member = serializers.CharField(source="member.user.get_full_name")
    member_title = serializers.CharField(source="member.title")

    class Meta:
        model = Declaration
        fields = ["member", "member_title", "interest", "declared_at"]


class PaperOut(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Paper
        fields = ["id", "title", "original_name", "content_type", "size", "sha256", "url"]

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, paper: Paper) -> str:
        path = reverse("senate-paper", args=[paper.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class MotionOut(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    meeting = serializers.CharField(source="meeting.reference")
    votes = VoteOut(many=True, read_only=True)

    class Meta:
        model = Motion
        fields = [
            "id",
            "reference",
            "meeting",
            "number",
            "kind",
            "text",
            "rule",
            "threshold_numerator",
            "threshold_denominator",
            "status",
            "opened_at",
            "closed_at",
            "result",
            "votes_for",
            "votes_against",
            "abstentions",
            "entitled_to_vote",
            "casting_vote",
            "consequence",
            "quorum",
            "model_run",
            "virement",
            "standard_version",
            "document_version",
            "votes",
        ]


class DecisionOut(MotionOut):
    """A decision on the public register: the motion, its result and tally, who voted how,
    who declared an interest, and links to the papers."""

    meeting_title = serializers.CharField(source="meeting.title")
    date = serializers.SerializerMethodField()
    item = serializers.CharField(source="item.title")
    item_number = serializers.IntegerField(source="item.number")
    declarations = DeclarationOut(source="item.declarations", many=True, read_only=True)
    papers = PaperOut(source="item.papers", many=True, read_only=True)

    class Meta(MotionOut.Meta):
        fields = [
            "id",
            "reference",
            "date",
            "meeting",
            "meeting_title",
            "item_number",
            "item",
            "kind",
            "text",
            "rule",
            "threshold_numerator",
            "threshold_denominator",
            "result",
            "votes_for",
            "votes_against",
            "abstentions",
            "entitled_to_vote",
            "casting_vote",
            "consequence",
            "closed_at",
            "votes",
            "declarations",
            "papers",
        ]

    @extend_schema_field(OpenApiTypes.DATE)
    def get_date(self, motion: Motion):
        return timezone.localtime(motion.meeting.starts_at).date()


class ItemOut(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    papers = PaperOut(many=True, read_only=True)
    declarations = DeclarationOut(many=True, read_only=True)
    motions = MotionOut(many=True, read_only=True)


class MeetingOut(serializers.ModelSerializer):
    chair = serializers.CharField(source="chair.user.get_full_name", allow_null=True)

    class Meta:
        model = Meeting
        fields = ["id", "reference", "title", "starts_at", "location", "status", "chair",
                  "published_at", "opened_at", "closed_at"]  # fmt: skip


class MeetingDetailOut(MeetingOut):
    items = ItemOut(many=True, read_only=True, source="agenda")

    class Meta(MeetingOut.Meta):
        fields = [*MeetingOut.Meta.fields, "items"]


class MeetingIn(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    starts_at = serializers.DateTimeField()
    location = serializers.CharField(max_length=200, required=False, default="")
    chair = serializers.IntegerField(help_text="Id of a voting member (see /api/senate/members/)")


class ItemIn(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, default="", allow_blank=True)


class PaperIn(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    file = serializers.FileField(help_text="PDF, DOCX, XLSX or ODT; at most 10 MB")


class AttendanceIn(serializers.Serializer):
    member = serializers.IntegerField()
    status = serializers.ChoiceField(choices=AttendanceStatus.choices)


class DeclarationIn(serializers.Serializer):
    interest = serializers.CharField(max_length=500)
    member = serializers.IntegerField(
        required=False, help_text="The secretary may declare for a member; default: yourself"
    )


class MotionIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=MotionKind.choices)
    text = serializers.CharField()
    model_run = serializers.IntegerField(required=False)
    virement = serializers.IntegerField(required=False)
    standard_version = serializers.IntegerField(required=False)
    document_version = serializers.IntegerField(required=False)


class VoteIn(serializers.Serializer):
    choice = serializers.ChoiceField(choices=Choice.choices)


class VoteRecordIn(serializers.Serializer):
    member = serializers.IntegerField()
    choice = serializers.ChoiceField(choices=Choice.choices)


class MotionCloseIn(serializers.Serializer):
    casting_vote = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        help_text='The chair\'s casting vote, "for" or "against", given only on a tie',
    )


class VoteRecordedOut(serializers.ModelSerializer):
    motion = serializers.CharField(source="motion.reference")

    class Meta:
        model = Vote
        fields = ["id", "motion", "choice", "method", "cast_at"]


class ElementOut(serializers.ModelSerializer):
    class Meta:
        model = StandardElement
        fields = ["id", "number", "text", "mandatory"]


class StandardVersionOut(serializers.ModelSerializer):
    code = serializers.CharField(source="standard.code")
    title = serializers.CharField(source="standard.title")
    kind = serializers.ChoiceField(source="standard.kind", choices=StandardKind.choices)
    care_stream = serializers.CharField(source="standard.care_stream.name")
    elements = ElementOut(many=True, read_only=True)

    class Meta:
        model = StandardVersion
        fields = ["id", "code", "title", "kind", "care_stream", "number", "status",
                  "effective_from", "summary", "elements"]  # fmt: skip


class AdoptedElementIn(serializers.Serializer):
    element = serializers.IntegerField()
    variation = serializers.CharField(required=False, default="", allow_blank=True)


class AdoptionIn(serializers.Serializer):
    locality = serializers.CharField(help_text="Locality code, e.g. 5NE-EDE")
    elements = AdoptedElementIn(many=True)


class AdoptionOut(serializers.Serializer):
    element = serializers.IntegerField(source="element_id")
    locality = serializers.CharField(source="locality.code")
    adopted_on = serializers.DateField()
    variation = serializers.CharField()


class ComplianceCellOut(serializers.Serializer):
    locality = serializers.CharField(source="locality.code")
    locality_name = serializers.CharField(source="locality.name")
    mandatory_adopted = serializers.IntegerField()
    mandatory_total = serializers.IntegerField()
    complies = serializers.BooleanField()
    flexible_adopted = serializers.IntegerField()
    variations = serializers.ListField(child=serializers.CharField())


class ComplianceRowOut(serializers.Serializer):
    standard = StandardVersionOut(source="version")
    localities = ComplianceCellOut(many=True, source="cells")


class WorkOut(serializers.Serializer):
    """What needs the signed-in member."""

    open_votes = MotionOut(many=True)
    voted = MotionOut(many=True)
    meetings = MeetingOut(many=True)
    recent = DecisionOut(many=True)
