from rest_framework import serializers

from .models import AuditEvent, Organisation, RoleAssignment, User


class OrganisationOut(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Organisation
        fields = ["code", "name", "kind", "parent", "path", "postcode"]


class PracticeOut(OrganisationOut):
    list_size = serializers.IntegerField(read_only=True, allow_null=True)
    list_size_as_of = serializers.DateField(read_only=True, allow_null=True)
    deprivation_score = serializers.DecimalField(
        max_digits=7, decimal_places=3, read_only=True, allow_null=True
    )

    class Meta(OrganisationOut.Meta):
        fields = [*OrganisationOut.Meta.fields, "list_size", "list_size_as_of", "deprivation_score"]


class RoleAssignmentOut(serializers.ModelSerializer):
    organisation = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = RoleAssignment
        fields = ["role", "organisation", "starts_on", "ends_on"]


class MeOut(serializers.ModelSerializer):
    roles = RoleAssignmentOut(many=True, source="active_roles")

    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "email", "roles"]


class AuditEventOut(serializers.ModelSerializer):
    organisation = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "at",
            "actor_label",
            "event",
            "subject_type",
            "subject_id",
            "subject_label",
            "organisation",
            "before",
            "after",
        ]
