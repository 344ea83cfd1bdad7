"""API of the referrals app, under /api/referrals/. Thin: validate, call a selector or service.

Money is in pence; rates are per 1,000 patients a year. Anonymised practices have no code.
"""

from __future__ import annotations

import django_filters
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from budgets.activity.selectors import providers_for
from consortia.imports.models import Upload, UploadStatus
from consortia.imports.serializers import UploadOut
from consortia.models import Organisation, OrganisationKind
from consortia.query import choice, month, query_validated, year

from . import selectors as s
from .layouts import LAYOUTS
from .models import (
    InformationEvent,
    InformationKind,
    Interest,
    InterestKind,
    LocalScheme,
    Overdispersion,
    PeerReview,
    Priority,
    Referral,
    ReferralImportKind,
    SchemeKind,
)
from .periods import Period
from .services import (
    conflict_justify,
    information_event_create,
    information_received_record,
    interest_declare,
    peer_review_close,
    peer_review_note_add,
    peer_review_open,
    provider_payment_on_information_set,
    referral_create,
    referral_import_create,
    scheme_activity_record,
    scheme_register,
)


def _practice(code: str) -> Organisation:
    practice = Organisation.objects.filter(code=code, kind=OrganisationKind.PRACTICE).first()
    if practice is None:
        raise serializers.ValidationError({"practice": "Unknown practice."})
    return practice


def _provider(commissioner: Organisation, code: str):
    provider = providers_for(commissioner=commissioner).filter(code=code.upper()).first()
    if provider is None:
        raise serializers.ValidationError({"provider": "Unknown provider."})
    return provider


def _period(text: str | None, commissioner, year: int | None, measure: str) -> Period:
    if text:
        return Period.parse(text)
    year = year or s.latest_year(commissioner=commissioner)
    return s.latest_period(commissioner=commissioner, year=year, measure=measure)


# --- Referrals ----------------------------------------------------------------------------------


class ReferralOut(serializers.ModelSerializer):
    practice = serializers.SlugRelatedField(slug_field="code", read_only=True)
    provider = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Referral
        fields = ["id", "practice", "referred_on", "year", "month", "specialty", "provider",
                  "priority", "clinician"]  # fmt: skip


class ReferralIn(serializers.Serializer):
    practice = serializers.CharField(help_text="ODS code of the referring practice")
    referred_on = serializers.DateField()
    specialty = serializers.RegexField(r"^[0-9]{3}$", help_text="Treatment function code")
    provider = serializers.CharField(help_text="ODS code of the provider")
    priority = serializers.ChoiceField(choices=Priority.choices)
    clinician = serializers.CharField(required=False, allow_blank=True, max_length=20)
    nhs_number = serializers.CharField(
        write_only=True, help_text="Checked, then stored only as a keyed hash"
    )


class ReferralViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Referral records of the practices you may see; post one (the NHS number is never
    stored)."""

    serializer_class = ReferralOut
    filterset_fields = ["year", "month", "specialty", "priority"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Referral.objects.none()
        return s.referrals_visible_to(user=self.request.user)

    @extend_schema(request=ReferralIn, responses={201: ReferralOut})
    def create(self, request):
        data = ReferralIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        practice = _practice(v["practice"])
        referral = referral_create(
            actor=request.user,
            practice=practice,
            referred_on=v["referred_on"],
            specialty=v["specialty"],
            provider=_provider(s.commissioner_of(practice), v["provider"]),
            priority=v["priority"],
            nhs_number=v["nhs_number"],
            clinician=v.get("clinician", ""),
        )
        return Response(ReferralOut(referral).data, status=status.HTTP_201_CREATED)


class ReferralImportFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=ReferralImportKind.choices, method="by_kind")
    status = django_filters.ChoiceFilter(choices=UploadStatus.choices)

    class Meta:
        model = Upload
        fields = ["kind", "status"]

    def by_kind(self, queryset, name, value):
        return queryset.filter(kind=LAYOUTS[value])


class ReferralImportIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ReferralImportKind.choices)
    file = serializers.FileField()


class ReferralImportViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Upload a referrals or information-events file (checked, then all rows or none)."""

    serializer_class = UploadOut
    parser_classes = [MultiPartParser, FormParser]
    filterset_class = ReferralImportFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Upload.objects.none()
        return s.referral_imports_visible_to(user=self.request.user)

    @extend_schema(request=ReferralImportIn, responses={202: UploadOut})
    def create(self, request):
        data = ReferralImportIn(data=request.data)
        data.is_valid(raise_exception=True)
        record = referral_import_create(
            actor=request.user,
            commissioner=s.commissioner_for(request.user),
            kind=data.validated_data["kind"],
            upload=data.validated_data["file"],
        )
        record.refresh_from_db()
        return Response(UploadOut(record).data, status=status.HTTP_202_ACCEPTED)


class InformationEventOut(serializers.ModelSerializer):
    practice = serializers.SlugRelatedField(slug_field="code", read_only=True)
    provider = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = InformationEvent
        fields = ["id", "provider", "reference", "practice", "kind", "specialty", "occurred_at",
                  "received_at", "delay_hours", "year", "month"]  # fmt: skip


class InformationEventIn(serializers.Serializer):
    practice = serializers.CharField()
    provider = serializers.CharField()
    reference = serializers.CharField(max_length=40)
    kind = serializers.ChoiceField(choices=InformationKind.choices)
    specialty = serializers.RegexField(r"^[0-9]{3}$")
    occurred_at = serializers.DateTimeField()
    received_at = serializers.DateTimeField(required=False, allow_null=True)
    nhs_number = serializers.CharField(required=False, allow_blank=True, write_only=True)


class ReceivedIn(serializers.Serializer):
    received_at = serializers.DateTimeField()


class InformationEventViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Attendances and discharges the GP is owed information about, and when it arrived."""

    serializer_class = InformationEventOut
    filterset_fields = ["year", "month", "kind", "specialty"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return InformationEvent.objects.none()
        return s.information_events_visible_to(user=self.request.user)

    @extend_schema(request=InformationEventIn, responses={201: InformationEventOut})
    def create(self, request):
        data = InformationEventIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        practice = _practice(v["practice"])
        event = information_event_create(
            actor=request.user,
            practice=practice,
            provider=_provider(s.commissioner_of(practice), v["provider"]),
            reference=v["reference"],
            kind=v["kind"],
            specialty=v["specialty"],
            occurred_at=v["occurred_at"],
            received_at=v.get("received_at"),
            nhs_number=v.get("nhs_number", ""),
        )
        return Response(InformationEventOut(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReceivedIn, responses={200: InformationEventOut})
    @action(detail=True, methods=["post"])
    def received(self, request, pk=None):
        """The information reached the GP: payment held for it is released."""
        data = ReceivedIn(data=request.data)
        data.is_valid(raise_exception=True)
        event = information_received_record(
            actor=request.user,
            event=self.get_object(),
            received_at=data.validated_data["received_at"],
        )
        return Response(InformationEventOut(event).data)


# --- Peer comparison ----------------------------------------------------------------------------


class ComparisonRowOut(serializers.Serializer):
    label = serializers.CharField(help_text="The practice's name, or 'Practice A'... if anonymised")
    code = serializers.CharField(allow_null=True)
    named = serializers.BooleanField()
    own = serializers.BooleanField()
    population = serializers.IntegerField()
    weighted_population = serializers.DecimalField(max_digits=12, decimal_places=1)
    observed = serializers.IntegerField()
    crude_rate = serializers.FloatField()
    weighted_rate = serializers.FloatField()
    rate = serializers.FloatField()
    lower95 = serializers.FloatField()
    upper95 = serializers.FloatField()
    lower998 = serializers.FloatField()
    upper998 = serializers.FloatField()
    flag = serializers.CharField()
    warning = serializers.CharField()
    cost = serializers.IntegerField(allow_null=True)
    cost_per_weighted_patient = serializers.IntegerField(allow_null=True)
    review_id = serializers.IntegerField(allow_null=True)


class ComparisonOut(serializers.Serializer):
    measure = serializers.CharField()
    measure_name = serializers.CharField()
    period = serializers.CharField(source="period.code")
    period_label = serializers.CharField(source="period.label")
    peers = serializers.CharField(source="peers.code")
    weighted = serializers.BooleanField()
    unit = serializers.CharField()
    target = serializers.FloatField(source="funnel.target")
    phi = serializers.FloatField(source="funnel.phi", allow_null=True)
    tau2 = serializers.FloatField(source="funnel.tau2", allow_null=True)
    overdispersion = serializers.CharField()
    outlier_limit = serializers.CharField()
    weights_source = serializers.CharField()
    rows = ComparisonRowOut(many=True)


class ComparisonQuery(serializers.Serializer):
    measure = serializers.CharField(
        required=False, max_length=5, help_text="Treatment function code, ALL or PRESC"
    )
    period = serializers.CharField(
        required=False, max_length=7, help_text="2010 or 2010-Q3 (default: latest)"
    )
    peers = serializers.CharField(
        required=False, max_length=20, help_text="Locality code (default: the county)"
    )
    basis = choice(["weighted", "crude"], required=False)
    overdispersion = choice(Overdispersion.values, required=False)


class ComparisonApi(APIView):
    """Practices' rates for a measure beside their peers' (funnel plot data)."""

    @extend_schema(parameters=[ComparisonQuery], responses=ComparisonOut)
    def get(self, request):
        query = query_validated(request, ComparisonQuery)
        commissioner = s.commissioner_for(request.user)
        measure = query.get("measure") or "130"
        peers = commissioner
        if query.get("peers"):
            peers = Organisation.objects.filter(code=query["peers"]).first()
            if peers is None:
                raise Http404("No such peer group.")
        data = s.comparison(
            user=request.user,
            commissioner=commissioner,
            measure=measure,
            period=_period(query.get("period"), commissioner, None, measure),
            peers=peers,
            weighted=query.get("basis", "weighted") != "crude",
            overdispersion=query.get("overdispersion") or None,
        )
        return Response(ComparisonOut(data).data)


class OutlierOut(serializers.Serializer):
    practice = serializers.CharField(source="practice.code")
    practice_name = serializers.CharField(source="practice.name")
    measure = serializers.CharField()
    measure_name = serializers.CharField()
    period = serializers.CharField(source="period.code")
    flag = serializers.CharField()
    rate = serializers.FloatField()
    peer_rate = serializers.FloatField()
    lower = serializers.FloatField()
    upper = serializers.FloatField()
    review_id = serializers.IntegerField(allow_null=True)


class OutliersQuery(serializers.Serializer):
    locality = serializers.CharField(max_length=20)
    year = year()


class OutliersApi(APIView):
    """Practices of a locality flagged for any specialty in the latest period."""

    @extend_schema(parameters=[OutliersQuery], responses=OutlierOut(many=True))
    def get(self, request):
        query = query_validated(request, OutliersQuery)
        locality = Organisation.objects.filter(
            code=query["locality"], kind=OrganisationKind.LOCALITY
        ).first()
        if locality is None:
            raise Http404("No such locality.")
        rows = s.outliers_for(
            user=request.user,
            locality=locality,
            year=query.get("year") or s.latest_year(commissioner=s.commissioner_of(locality)),
        )
        return Response(OutlierOut(rows, many=True).data)


class TrendPointOut(serializers.Serializer):
    label = serializers.CharField()
    value = serializers.FloatField()
    special_cause = serializers.CharField()
    reason = serializers.CharField()


class TrendOut(serializers.Serializer):
    practice = serializers.CharField(source="practice.code")
    measure = serializers.CharField()
    mean = serializers.FloatField(source="spc.mean", allow_null=True)
    upper = serializers.FloatField(source="spc.upper", allow_null=True)
    lower = serializers.FloatField(source="spc.lower", allow_null=True)
    points = TrendPointOut(many=True)
    review_dates = serializers.SerializerMethodField()

    def get_review_dates(self, trend) -> list[str]:
        return [r.opened_on.isoformat() for r in trend.reviews]


class TrendQuery(serializers.Serializer):
    measure = serializers.CharField(required=False, max_length=5)
    year = year()


class TrendApi(APIView):
    """A practice's monthly rate as an SPC (XmR) chart."""

    @extend_schema(parameters=[TrendQuery], responses=TrendOut)
    def get(self, request, code: str):
        query = query_validated(request, TrendQuery)
        practice = Organisation.objects.filter(code=code).first()
        if practice is None:
            raise Http404("No such practice.")
        trend = s.practice_trend(
            user=request.user,
            practice=practice,
            measure=query.get("measure") or "130",
            year=query.get("year") or s.latest_year(commissioner=s.commissioner_of(practice)),
        )
        return Response(TrendOut(trend).data)


# --- Peer reviews -------------------------------------------------------------------------------


class PeerReviewNoteOut(serializers.Serializer):
    recorded_by = serializers.CharField()
    recorded_at = serializers.DateTimeField()
    discussion = serializers.CharField()
    actions = serializers.CharField()
    follow_up_on = serializers.DateField(allow_null=True)


class PeerReviewOut(serializers.ModelSerializer):
    practice = serializers.SlugRelatedField(slug_field="code", read_only=True)
    opened_by = serializers.StringRelatedField()
    position = serializers.JSONField()
    notes = PeerReviewNoteOut(many=True, read_only=True)

    class Meta:
        model = PeerReview
        fields = ["id", "practice", "measure", "year", "quarter", "opened_by", "opened_on",
                  "follow_up_on", "status", "position", "closed_on", "outcome", "notes"]  # fmt: skip


class PeerReviewIn(serializers.Serializer):
    practice = serializers.CharField()
    measure = serializers.CharField(max_length=5)
    period = serializers.CharField(help_text="2010 or 2010-Q3")
    peers = serializers.CharField(required=False, help_text="Locality code (default: county)")
    weighted = serializers.BooleanField(default=True)
    discussion = serializers.CharField()
    actions = serializers.CharField(required=False, allow_blank=True, default="")
    follow_up_on = serializers.DateField()


class PeerReviewNoteIn(serializers.Serializer):
    discussion = serializers.CharField()
    actions = serializers.CharField(required=False, allow_blank=True, default="")
    follow_up_on = serializers.DateField(required=False, allow_null=True)


class PeerReviewCloseIn(serializers.Serializer):
    outcome = serializers.CharField()


class PeerReviewViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Peer reviews of practices: open one (lead GP), add to its history, close it."""

    serializer_class = PeerReviewOut
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    filterset_fields = ["status", "measure", "year"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PeerReview.objects.none()
        return s.peer_reviews_visible_to(user=self.request.user).prefetch_related(
            "notes__recorded_by"
        )

    @extend_schema(request=PeerReviewIn, responses={201: PeerReviewOut})
    def create(self, request):
        data = PeerReviewIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        peers = None
        if v.get("peers"):
            peers = Organisation.objects.filter(code=v["peers"]).first()
        review = peer_review_open(
            actor=request.user,
            practice=_practice(v["practice"]),
            measure=v["measure"],
            period=Period.parse(v["period"]),
            peers=peers,
            weighted=v["weighted"],
            discussion=v["discussion"],
            actions=v["actions"],
            follow_up_on=v["follow_up_on"],
        )
        return Response(PeerReviewOut(review).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PeerReviewNoteIn, responses={201: PeerReviewOut})
    @action(detail=True, methods=["post"])
    def notes(self, request, pk=None):
        data = PeerReviewNoteIn(data=request.data)
        data.is_valid(raise_exception=True)
        review = self.get_object()
        peer_review_note_add(actor=request.user, review=review, **data.validated_data)
        return Response(
            PeerReviewOut(self.get_queryset().get(pk=review.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=PeerReviewCloseIn, responses={200: PeerReviewOut})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        data = PeerReviewCloseIn(data=request.data)
        data.is_valid(raise_exception=True)
        review = peer_review_close(
            actor=request.user, review=self.get_object(), **data.validated_data
        )
        return Response(PeerReviewOut(self.get_queryset().get(pk=review.pk)).data)


# --- Timeliness and payment on information ------------------------------------------------------


class TimelinessOut(serializers.Serializer):
    rank = serializers.IntegerField()
    provider = serializers.CharField(source="provider.code")
    provider_name = serializers.CharField(source="provider.name")
    kind = serializers.CharField()
    specialty = serializers.CharField(allow_null=True)
    events = serializers.IntegerField()
    received = serializers.IntegerField()
    within_standard = serializers.IntegerField()
    due = serializers.IntegerField()
    share_within = serializers.FloatField(allow_null=True)
    median_days = serializers.FloatField(allow_null=True)
    outstanding = serializers.IntegerField()
    standard_hours = serializers.IntegerField()


class TimelinessQuery(serializers.Serializer):
    year = year()
    by = choice(["provider", "specialty"], required=False)


class TimelinessApi(APIView):
    """League table of providers: information within the standard, median days."""

    @extend_schema(parameters=[TimelinessQuery], responses=TimelinessOut(many=True))
    def get(self, request):
        query = query_validated(request, TimelinessQuery)
        commissioner = s.commissioner_for(request.user)
        rows = s.timeliness(
            user=request.user,
            commissioner=commissioner,
            year=query.get("year") or s.latest_year(commissioner=commissioner),
            by_specialty=query.get("by") == "specialty",
        )
        return Response(TimelinessOut(rows, many=True).data)


class HeldOut(serializers.Serializer):
    provider = serializers.CharField(source="provider.code")
    provider_name = serializers.CharField(source="provider.name")
    month = serializers.IntegerField()
    cost = serializers.IntegerField()
    held = serializers.IntegerField()
    payable = serializers.IntegerField()
    released = serializers.IntegerField()
    outstanding = serializers.IntegerField()
    expected = serializers.IntegerField()


class HeldPaymentsQuery(serializers.Serializer):
    year = year()
    month = month()


class HeldPaymentsApi(APIView):
    """Held pending information, per provider and month (pence), months 1..month."""

    @extend_schema(parameters=[HeldPaymentsQuery], responses=HeldOut(many=True))
    def get(self, request):
        query = query_validated(request, HeldPaymentsQuery)
        commissioner = s.commissioner_for(request.user)
        rows = s.held_payments(
            commissioner=commissioner,
            year=query.get("year") or s.latest_year(commissioner=commissioner),
            month=query.get("month") or 12,
            user=request.user,
        )
        return Response(HeldOut(rows, many=True).data)


class PaymentOnInformationIn(serializers.Serializer):
    enabled = serializers.BooleanField()


class PaymentOnInformationApi(APIView):
    """Switch payment on information on or off for a provider's contract (finance)."""

    @extend_schema(request=PaymentOnInformationIn, responses={200: PaymentOnInformationIn})
    def post(self, request, code: str):
        data = PaymentOnInformationIn(data=request.data)
        data.is_valid(raise_exception=True)
        provider = _provider(s.commissioner_for(request.user), code)
        provider = provider_payment_on_information_set(
            actor=request.user, provider=provider, enabled=data.validated_data["enabled"]
        )
        return Response({"enabled": provider.payment_on_information})


# --- Schemes and interests ----------------------------------------------------------------------


class ConflictOut(serializers.Serializer):
    interest = serializers.IntegerField(source="interest.pk")
    holder = serializers.CharField()
    nature = serializers.CharField(source="interest.nature")
    justification = serializers.CharField(
        source="justification.justification", allow_null=True, default=None
    )


class SchemeOut(serializers.Serializer):
    id = serializers.IntegerField(source="scheme.pk")
    name = serializers.CharField(source="scheme.name")
    kind = serializers.ChoiceField(source="scheme.kind", choices=SchemeKind.choices)
    commissioning_node = serializers.CharField(source="scheme.commissioning_node.code")
    provider = serializers.CharField(source="scheme.provider.code")
    specialty = serializers.CharField(source="scheme.specialty")
    started_on = serializers.DateField(source="scheme.started_on")
    price_per_case = serializers.IntegerField(source="scheme.price_per_case", allow_null=True)
    tariff_price = serializers.IntegerField(source="scheme.tariff_price")
    tariff_description = serializers.CharField(source="scheme.tariff_description")
    cases = serializers.IntegerField()
    cost = serializers.IntegerField()
    tariff_cost = serializers.IntegerField()
    saving = serializers.IntegerField()
    percent_of_tariff = serializers.DecimalField(max_digits=7, decimal_places=1, allow_null=True)
    investment = serializers.IntegerField()
    net_saving = serializers.IntegerField()
    needs_justification = serializers.BooleanField()
    conflicts = ConflictOut(many=True)


class SchemeIn(serializers.Serializer):
    commissioning_node = serializers.CharField()
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=SchemeKind.choices)
    provider = serializers.CharField()
    specialty = serializers.CharField(required=False, allow_blank=True, default="")
    started_on = serializers.DateField()
    price_per_case = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    tariff_price = serializers.IntegerField(min_value=1, help_text="Pence per case")
    tariff_description = serializers.CharField(max_length=200)
    investment = serializers.IntegerField(required=False, default=0, min_value=0)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    justification = serializers.CharField(required=False, allow_blank=True, default="")


class SchemeActivityIn(serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    month = serializers.IntegerField(min_value=1, max_value=12)
    cases = serializers.IntegerField(min_value=0)
    cost = serializers.IntegerField(required=False, allow_null=True, min_value=0)


class JustifyIn(serializers.Serializer):
    justification = serializers.CharField()


class SchemeViewSet(viewsets.ViewSet):
    """Local schemes with their savings against tariff; register one, record activity,
    justify a conflict of interest."""

    queryset = LocalScheme.objects.none()  # for the schema's path parameter only

    def _row(self, request, pk):
        scheme = s.scheme_get_visible(user=request.user, pk=pk)
        rows = s.scheme_savings(user=request.user, locality=scheme.commissioning_node)
        return next(r for r in rows if r.scheme.pk == scheme.pk)

    @extend_schema(parameters=[OpenApiParameter("locality", str)], responses=SchemeOut(many=True))
    def list(self, request):
        locality = None
        if request.query_params.get("locality"):
            locality = Organisation.objects.filter(code=request.query_params["locality"]).first()
        rows = s.scheme_savings(user=request.user, locality=locality)
        return Response(SchemeOut(rows, many=True).data)

    @extend_schema(responses=SchemeOut)
    def retrieve(self, request, pk=None):
        return Response(SchemeOut(self._row(request, pk)).data)

    @extend_schema(request=SchemeIn, responses={201: SchemeOut})
    def create(self, request):
        data = SchemeIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        commissioner = s.commissioner_for(request.user)
        node = Organisation.objects.filter(
            code=v.pop("commissioning_node"), path__startswith=commissioner.path
        ).first()
        if node is None:
            raise serializers.ValidationError({"commissioning_node": "Unknown organisation."})
        v["provider"] = _provider(commissioner, v["provider"])
        scheme = scheme_register(actor=request.user, commissioning_node=node, **v)
        return Response(SchemeOut(self._row(request, scheme.pk)).data, status=201)

    @extend_schema(request=SchemeActivityIn, responses={201: SchemeOut})
    @action(detail=True, methods=["post"])
    def activity(self, request, pk=None):
        data = SchemeActivityIn(data=request.data)
        data.is_valid(raise_exception=True)
        scheme = s.scheme_get_visible(user=request.user, pk=pk)
        scheme_activity_record(actor=request.user, scheme=scheme, **data.validated_data)
        return Response(SchemeOut(self._row(request, pk)).data, status=201)

    @extend_schema(request=JustifyIn, responses={201: SchemeOut})
    @action(detail=True, methods=["post"])
    def justify(self, request, pk=None):
        data = JustifyIn(data=request.data)
        data.is_valid(raise_exception=True)
        scheme = s.scheme_get_visible(user=request.user, pk=pk)
        conflict_justify(actor=request.user, scheme=scheme, **data.validated_data)
        return Response(SchemeOut(self._row(request, pk)).data, status=201)


class InterestOut(serializers.ModelSerializer):
    clinician = serializers.StringRelatedField(allow_null=True)
    practice = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    provider = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Interest
        fields = ["id", "clinician", "practice", "provider", "kind", "nature", "declared_on",
                  "ended_on"]  # fmt: skip


class InterestIn(serializers.Serializer):
    provider = serializers.CharField()
    kind = serializers.ChoiceField(choices=InterestKind.choices)
    nature = serializers.CharField(max_length=500)
    declared_on = serializers.DateField(required=False)
    practice = serializers.CharField(required=False, allow_blank=True)


class InterestViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Declared interests (public, as the register); declare yours or your practice's."""

    serializer_class = InterestOut
    filterset_fields = ["kind"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Interest.objects.none()
        return s.interests_visible_to(user=self.request.user)

    @extend_schema(request=InterestIn, responses={201: InterestOut})
    def create(self, request):
        data = InterestIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        practice = _practice(v["practice"]) if v.get("practice") else None
        interest = interest_declare(
            actor=request.user,
            provider=_provider(s.commissioner_for(request.user), v["provider"]),
            kind=v["kind"],
            nature=v["nature"],
            declared_on=v.get("declared_on"),
            practice=practice,
        )
        return Response(InterestOut(interest).data, status=status.HTTP_201_CREATED)


class RegisterConflictOut(ConflictOut):
    scheme = serializers.CharField(source="scheme.name")
    commissioning_node = serializers.CharField(source="scheme.commissioning_node.name")


class RegisterOut(serializers.Serializer):
    interests = InterestOut(many=True)
    conflicts = RegisterConflictOut(many=True)


class RegisterApi(APIView):
    """The public register of interests (no login)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(responses=RegisterOut)
    def get(self, request):
        return Response(RegisterOut(s.public_register()).data)
