"""API shapes for allocation model runs: parameters, runs, and every step by locality, line
and practice (money as integer pence beside formatted text)."""

from __future__ import annotations

from rest_framework import serializers

from budgets.periods import year_label

from .models import AllocationParameters, ModelRun, ModelRunLine, ModelRunLocality, ModelRunPractice


class ParametersOut(serializers.ModelSerializer):
    class Meta:
        model = AllocationParameters
        fields = [
            "id",
            "name",
            "version",
            "effective_from",
            "age_weights",
            "need_weight",
            "market_forces",
            "sparsity",
            "pace_of_change_percent",
            "sources",
        ]


class ModelRunOut(serializers.ModelSerializer):
    commissioner = serializers.SlugRelatedField(slug_field="code", read_only=True)
    year_label = serializers.SerializerMethodField()
    parameters = serializers.StringRelatedField()
    envelopes_pence = serializers.DictField(
        source="envelopes", child=serializers.IntegerField(), read_only=True
    )
    envelope_total_pence = serializers.SerializerMethodField()
    decided_by = serializers.StringRelatedField(allow_null=True)

    class Meta:
        model = ModelRun
        fields = [
            "id",
            "commissioner",
            "year",
            "year_label",
            "status",
            "parameters",
            "population_date",
            "envelopes_pence",
            "envelope_total_pence",
            "created_at",
            "decided_at",
            "decided_by",
            "decision_note",
        ]

    def get_year_label(self, run) -> str:
        return year_label(run.year)

    def get_envelope_total_pence(self, run) -> int:
        return sum(run.envelopes.values())


class ModelRunLineOut(serializers.ModelSerializer):
    line = serializers.CharField(source="line.code")
    line_name = serializers.CharField(source="line.name")
    category = serializers.CharField(source="line.category")
    target_pence = serializers.IntegerField(source="target")
    baseline_pence = serializers.IntegerField(source="baseline", help_text="Last year's allocation")
    uplifted_baseline_pence = serializers.IntegerField(source="uplifted_baseline")
    capped_move_pence = serializers.IntegerField(source="capped_move")
    proposal_pence = serializers.IntegerField(source="proposal")
    change_pence = serializers.IntegerField(source="change", help_text="Proposal − baseline")

    class Meta:
        model = ModelRunLine
        fields = [
            "line",
            "line_name",
            "category",
            "target_pence",
            "baseline_pence",
            "uplifted_baseline_pence",
            "capped_move_pence",
            "proposal_pence",
            "change_pence",
        ]


class ModelRunLocalityOut(serializers.ModelSerializer):
    locality = serializers.CharField(source="locality.code")
    locality_name = serializers.CharField(source="locality.name")
    lines = ModelRunLineOut(many=True, source="line_rows")

    class Meta:
        model = ModelRunLocality
        fields = [
            "locality",
            "locality_name",
            "population",
            "age_weighted_population",
            "need_index",
            "market_forces",
            "sparsity",
            "weighted_population",
            "target_share",
            "lines",
        ]


class ModelRunPracticeOut(serializers.ModelSerializer):
    practice = serializers.CharField(source="practice.code")
    practice_name = serializers.CharField(source="practice.name")
    locality = serializers.CharField(source="locality.code")
    indicative_target_pence = serializers.IntegerField(source="indicative_target")

    class Meta:
        model = ModelRunPractice
        fields = [
            "practice",
            "practice_name",
            "locality",
            "population",
            "weighted_population",
            "indicative_target_pence",
        ]


class LineTotalOut(serializers.Serializer):
    line = serializers.CharField(source="line.code")
    envelope_pence = serializers.IntegerField(source="envelope")
    target_pence = serializers.IntegerField(source="target")
    baseline_pence = serializers.IntegerField(source="baseline")
    uplifted_baseline_pence = serializers.IntegerField(source="uplifted_baseline")
    capped_move_pence = serializers.IntegerField(source="capped_move")
    proposal_pence = serializers.IntegerField(source="proposal")
    balanced = serializers.BooleanField(
        help_text="Targets and proposals each sum to the envelope, to the penny"
    )


class ModelRunDetailOut(serializers.Serializer):
    """A run with every step: parameters, each locality with its lines, totals, practices."""

    run = ModelRunOut()
    parameters = ParametersOut()
    localities = ModelRunLocalityOut(many=True)
    line_totals = LineTotalOut(many=True)
    balanced = serializers.BooleanField()
    practices = ModelRunPracticeOut(many=True)
