"""Writes to the tree and roles: validated, placed by the rules, audited, audit immutable."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, IntegrityError, transaction

from consortia.errors import ApplicationError
from consortia.models import AuditEvent, Organisation, OrganisationKind, Role
from consortia.services import organisation_create, organisation_update, role_assign

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("code", ["A8200", "A8200X", "AB2003", "A820031", "82003A"])
def test_a_practice_needs_a_valid_ods_code(node, code):
    with pytest.raises(ApplicationError, match="ODS code"):
        organisation_create(
            actor=None,
            kind=OrganisationKind.PRACTICE,
            code=code,
            name="New practice",
            parent=node("5NE-CAR"),
        )


def test_a_practice_cannot_sit_directly_under_the_commissioner(cumbria):
    with pytest.raises(ApplicationError, match="cannot sit under"):
        organisation_create(
            actor=None, kind=OrganisationKind.PRACTICE, code="A89999", name="Stray", parent=cumbria
        )


def test_finance_adds_a_practice_and_the_change_is_audited(person, node):
    finance = person("finance")

    practice = organisation_create(
        actor=finance,
        kind=OrganisationKind.PRACTICE,
        code="A89999",
        name="New Town Surgery",
        parent=node("5NE-EDE"),
        postcode="ca11 7aa",
    )

    event = AuditEvent.objects.get(event="organisation.created", subject_id=str(practice.pk))
    assert event.actor == finance
    assert event.after["code"] == "A89999" and event.after["parent"] == "5NE-EDE"
    assert practice.path == "/5NE/5NE-EDE/A89999/"
    assert practice.postcode == "CA11 7AA"


def test_a_lead_gp_cannot_change_the_tree(person, node):
    with pytest.raises(PermissionDenied):
        organisation_update(
            actor=person("lead.carlisle"),
            organisation=node("5NE-CAR"),
            name="Carlisle and District",
        )


def test_moving_a_practice_moves_its_path_and_records_before_and_after(person, node):
    practice = organisation_update(
        actor=person("finance"), organisation=node("A82028"), parent=node("5NE-ALL-COC")
    )

    assert practice.path == "/5NE/5NE-ALL/5NE-ALL-COC/A82028/"
    event = AuditEvent.objects.filter(event="organisation.updated").latest("id")
    assert event.before["parent"] == "5NE-ALL-KES"
    assert event.after["parent"] == "5NE-ALL-COC"


def test_moving_a_sub_locality_moves_its_practices_with_it(person, node):
    organisation_update(
        actor=person("finance"), organisation=node("5NE-ALL-KES"), parent=node("5NE-COP")
    )

    moved = Organisation.objects.filter(path__startswith="/5NE/5NE-COP/5NE-ALL-KES/")
    assert sorted(moved.values_list("code", flat=True)) == ["5NE-ALL-KES", "A82028", "A82063"]
    assert not Organisation.objects.filter(path__startswith="/5NE/5NE-ALL/5NE-ALL-KES/").exists()


def test_roles_are_checked_against_the_level_they_belong_to(person, node):
    with pytest.raises(ApplicationError, match="held at a locality"):
        role_assign(
            actor=person("ceo"),
            user=person("director"),
            role=Role.LOCALITY_LEAD,
            organisation=node("A82015"),
        )


def test_granting_a_role_is_audited(person, node):
    ceo = person("ceo")

    assignment = role_assign(
        actor=ceo, user=person("director"), role=Role.LOCALITY_LEAD, organisation=node("5NE-EDE")
    )

    event = AuditEvent.objects.get(event="role.assigned", subject_id=str(assignment.pk))
    assert (event.actor, event.after["role"], event.after["organisation"]) == (
        ceo,
        "locality_lead",
        "5NE-EDE",
    )


def test_the_audit_log_cannot_be_edited_or_deleted_even_by_raw_queries(cumbria):
    event = AuditEvent.objects.first()

    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(event="tampered")
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).event == event.event
