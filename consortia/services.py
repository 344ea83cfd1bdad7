"""Every write to the organisation tree, roles and the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from .errors import ApplicationError
from .models import (
    AuditEvent,
    Notice,
    Organisation,
    OrganisationKind,
    Role,
    RoleAssignment,
    User,
    practice_ods_code_validator,
)
from .permissions import Action, require

# Which kind of node may sit under which.
ALLOWED_PARENT_KINDS = {
    OrganisationKind.COMMISSIONER: set(),
    OrganisationKind.LOCALITY: {OrganisationKind.COMMISSIONER},
    OrganisationKind.SUB_LOCALITY: {OrganisationKind.LOCALITY},
    OrganisationKind.PRACTICE: {OrganisationKind.LOCALITY, OrganisationKind.SUB_LOCALITY},
}
ORGANISATION_FIELDS = ["kind", "code", "name", "postcode", "locality_level_name",
                       "sub_locality_level_name"]  # fmt: skip


def audit_record(
    *,
    actor: User | None,
    event: str,
    subject: Model,
    organisation: Organisation | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor_label: str = "",
) -> AuditEvent:
    """Record who did what to which subject, with its state before and after.

    Call it inside the service's transaction so the change and its record stand or fall together.
    `actor` None means the system (a scheduled job or the demo loader): say which in actor_label.
    """
    return AuditEvent.objects.create(
        actor=actor,
        actor_label=actor_label or (actor.get_username() if actor else "system"),
        event=event,
        subject_type=subject._meta.label,
        subject_id=str(subject.pk),
        subject_label=str(subject)[:255],
        organisation=organisation,
        before=before,
        after=after,
    )


def login_failure_record(
    *, username: str, address: str | None, path: str, locked_out: bool
) -> AuditEvent:
    """A failed login (wrong password, unknown account, or refused while locked out).

    The subject is the account tried, by the name given: it may not exist. No password is kept.
    """
    return AuditEvent.objects.create(
        actor=None,
        actor_label=username or "anonymous",
        event="auth.login_locked_out" if locked_out else "auth.login_failed",
        subject_type="auth.login",
        subject_id=username[:80],
        subject_label=f"{username} from {address or 'unknown address'} at {path}"[:255],
        after={"address": address, "path": path},
    )


def access_denial_record(
    *, actor: User | None, method: str, path: str, address: str | None
) -> AuditEvent:
    """A request refused with 403: who asked for what, from where."""
    return AuditEvent.objects.create(
        actor=actor,
        actor_label=actor.get_username() if actor else "anonymous",
        event="access.denied",
        subject_type="http.request",
        subject_id=path[:80],
        subject_label=f"{method} {path}"[:255],
        after={"method": method, "path": path, "address": address},
    )


def _snapshot(instance: Model, fields: list[str]) -> dict[str, Any]:
    out = {}
    for field in fields:
        value = getattr(instance, field)
        out[field] = value.isoformat() if isinstance(value, dt.date) else value
    if hasattr(instance, "parent_id"):
        out["parent"] = instance.parent.code if instance.parent_id else None
    return out


def _validate_placement(*, kind: str, code: str, parent: Organisation | None) -> None:
    allowed = ALLOWED_PARENT_KINDS[OrganisationKind(kind)]
    if parent is None and allowed:
        raise ApplicationError(f"A {OrganisationKind(kind).label.lower()} needs a parent.")
    if parent is not None and parent.kind not in allowed:
        raise ApplicationError(
            f"A {OrganisationKind(kind).label.lower()} cannot sit under a "
            f"{parent.get_kind_display().lower()}.",
            extra={"field": "parent"},
        )
    if kind == OrganisationKind.PRACTICE:
        try:
            practice_ods_code_validator(code)
        except Exception as exc:
            raise ApplicationError(
                f"'{code}' is not a GP practice ODS code: one capital letter and five digits, "
                "e.g. A82003.",
                extra={"field": "code"},
            ) from exc


@transaction.atomic
def organisation_create(
    *,
    actor: User | None,
    kind: str,
    code: str,
    name: str,
    parent: Organisation | None = None,
    postcode: str = "",
    locality_level_name: str = "",
    sub_locality_level_name: str = "",
    actor_label: str = "",
) -> Organisation:
    """Add a node to the tree. Only a commissioner has no parent; practices carry an ODS code."""
    if actor is not None and parent is not None:
        require(actor, Action.MANAGE_TREE, parent)
    code = code.strip().upper()
    _validate_placement(kind=kind, code=code, parent=parent)
    if Organisation.objects.filter(code=code).exists():
        raise ApplicationError(
            f"An organisation with code {code} already exists.", extra={"field": "code"}
        )
    organisation = Organisation(
        kind=kind,
        code=code,
        name=name.strip(),
        parent=parent,
        postcode=postcode.strip().upper(),
        path=(parent.path if parent else "/") + code + "/",
        locality_level_name=locality_level_name,
        sub_locality_level_name=sub_locality_level_name,
    )
    organisation.full_clean()
    organisation.save()
    audit_record(
        actor=actor,
        actor_label=actor_label,
        event="organisation.created",
        subject=organisation,
        organisation=organisation,
        after=_snapshot(organisation, ORGANISATION_FIELDS),
    )
    return organisation


@transaction.atomic
def organisation_update(
    *,
    actor: User | None,
    organisation: Organisation,
    actor_label: str = "",
    **changes: Any,
) -> Organisation:
    """Rename or re-describe a node, or move it under another parent (its subtree moves too)."""
    if actor is not None:
        require(actor, Action.MANAGE_TREE, organisation)
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    before = _snapshot(organisation, ORGANISATION_FIELDS)
    new_parent = changes.pop("parent", organisation.parent)
    unknown = set(changes) - set(ORGANISATION_FIELDS) - {"kind"}
    if unknown or "code" in changes or "kind" in changes:
        raise ApplicationError("Only the name, postcode, level names and parent can change.")
    for field, value in changes.items():
        setattr(organisation, field, value)
    moved = new_parent != organisation.parent
    if moved:
        _validate_placement(kind=organisation.kind, code=organisation.code, parent=new_parent)
        if new_parent is not None and new_parent.path.startswith(organisation.path):
            raise ApplicationError("A node cannot move beneath itself.")
        old_path = organisation.path
        organisation.parent = new_parent
        organisation.path = (new_parent.path if new_parent else "/") + organisation.code + "/"
        for descendant in Organisation.objects.filter(path__startswith=old_path).exclude(
            pk=organisation.pk
        ):
            descendant.path = organisation.path + descendant.path[len(old_path) :]
            descendant.save(update_fields=["path"])
    after = _snapshot(organisation, ORGANISATION_FIELDS)
    if after == before:
        return organisation
    organisation.full_clean()
    organisation.save()
    audit_record(
        actor=actor,
        actor_label=actor_label,
        event="organisation.updated",
        subject=organisation,
        organisation=organisation,
        before=before,
        after=after,
    )
    return organisation


def _assignment_snapshot(assignment: RoleAssignment) -> dict[str, Any]:
    return {
        "user": assignment.user.get_username(),
        "role": assignment.role,
        "organisation": assignment.organisation.code,
        "starts_on": assignment.starts_on.isoformat(),
        "ends_on": assignment.ends_on.isoformat() if assignment.ends_on else None,
    }


@transaction.atomic
def role_assign(
    *,
    actor: User | None,
    user: User,
    role: str,
    organisation: Organisation,
    starts_on: dt.date | None = None,
    actor_label: str = "",
) -> RoleAssignment:
    """Give `user` a role at `organisation`. Idempotent: an identical open assignment is reused."""
    if actor is not None:
        require(actor, Action.MANAGE_ROLES, organisation)
    role = Role(role)
    expected_kinds = {
        Role.LOCALITY_LEAD: {OrganisationKind.LOCALITY},
        Role.SUB_LOCALITY_LEAD: {OrganisationKind.SUB_LOCALITY},
        Role.PRACTICE_MEMBER: {OrganisationKind.PRACTICE},
    }.get(role, {OrganisationKind.COMMISSIONER})
    if organisation.kind not in expected_kinds:
        kinds = " or ".join(OrganisationKind(k).label.lower() for k in expected_kinds)
        raise ApplicationError(
            f"A {role.label} is held at a {kinds}.", extra={"field": "organisation"}
        )
    existing = RoleAssignment.objects.filter(
        user=user, role=role, organisation=organisation, ends_on__isnull=True
    ).first()
    if existing:
        return existing
    assignment = RoleAssignment.objects.create(
        user=user,
        role=role,
        organisation=organisation,
        starts_on=starts_on or timezone.localdate(),
    )
    audit_record(
        actor=actor,
        actor_label=actor_label,
        event="role.assigned",
        subject=assignment,
        organisation=organisation,
        after=_assignment_snapshot(assignment),
    )
    return assignment


@transaction.atomic
def role_revoke(
    *, actor: User | None, assignment: RoleAssignment, ends_on: dt.date | None = None
) -> RoleAssignment:
    """End a role assignment (kept for history; never deleted)."""
    if actor is not None:
        require(actor, Action.MANAGE_ROLES, assignment.organisation)
    before = _assignment_snapshot(assignment)
    assignment.ends_on = ends_on or timezone.localdate()
    if assignment.ends_on < assignment.starts_on:
        raise ApplicationError("A role cannot end before it starts.", extra={"field": "ends_on"})
    assignment.save(update_fields=["ends_on"])
    audit_record(
        actor=actor,
        event="role.revoked",
        subject=assignment,
        organisation=assignment.organisation,
        before=before,
        after=_assignment_snapshot(assignment),
    )
    return assignment


def notify(*, users, subject: str, body: str = "", url: str = "") -> list[Notice]:
    """Tell people something: a notice in the app and an e-mail (Django's e-mail backend).

    E-mail is sent after the surrounding transaction commits, so a rolled-back change sends none.
    """
    from django.conf import settings
    from django.core.mail import send_mail

    recipients = [u for u in users if u is not None]
    notices = Notice.objects.bulk_create(
        Notice(user=u, subject=subject[:200], body=body, url=url) for u in recipients
    )
    emails = [u.email for u in recipients if u.email]
    if emails:
        text = body + (f"\n\n{url}" if url else "")
        transaction.on_commit(
            lambda: send_mail(
                subject, text, settings.DEFAULT_FROM_EMAIL, emails, fail_silently=True
            )
        )
    return notices
