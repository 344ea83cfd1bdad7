"""Referrals and information events entered through the API, and which providers are paid on
information (payment held until the GP has what they need)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from budgets.models import Provider
from budgets.periods import financial_year_of, month_number
from consortia.errors import ApplicationError
from consortia.models import Organisation, OrganisationKind, Role, User
from consortia.permissions import Action, holds_role_over, require
from consortia.services import audit_record

from ..layouts import _delay_hours
from ..models import (
    InformationEvent,
    InformationKind,
    Referral,
)
from ..patients import InvalidNhsNumber, patient_key
from .common import _aware, _commissioner_of, _locality_of


def _require_data_entry(actor: User, practice: Organisation) -> None:
    """Referral and information records come from finance's feeds (county) or a locality's."""
    if practice.kind != OrganisationKind.PRACTICE:
        raise ApplicationError("Choose a practice.", extra={"field": "practice"})
    require(actor, Action.CHANGE_MONEY, practice)


@transaction.atomic
def referral_create(
    *,
    actor: User,
    practice: Organisation,
    referred_on: dt.date,
    specialty: str,
    provider: Provider,
    priority: str,
    nhs_number: str,
    clinician: str = "",
) -> Referral:
    """Record one referral. The NHS number is checked and replaced by its keyed hash."""
    _require_data_entry(actor, practice)
    if referred_on > timezone.localdate():
        raise ApplicationError(
            "The referral date is in the future.", extra={"field": "referred_on"}
        )
    if len(specialty) != 3 or not specialty.isdigit():
        raise ApplicationError(
            "The specialty is a treatment function code (3 digits).", extra={"field": "specialty"}
        )
    commissioner = _commissioner_of(practice)
    if provider.commissioner_id != commissioner.pk:
        raise ApplicationError("Unknown provider.", extra={"field": "provider"})
    try:
        key = patient_key(nhs_number)
    except InvalidNhsNumber as exc:
        raise ApplicationError(str(exc), extra={"field": "nhs_number"}) from exc
    referral = Referral.objects.create(
        commissioner=commissioner,
        locality=_locality_of(practice),
        practice=practice,
        referred_on=referred_on,
        year=financial_year_of(referred_on),
        month=month_number(referred_on),
        specialty=specialty,
        provider=provider,
        priority=priority,
        clinician=clinician.strip()[:20],
        patient_key=key,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        event="referral.recorded",
        subject=referral,
        organisation=practice,
        after={"specialty": specialty, "provider": provider.code, "priority": priority},
    )
    return referral


@transaction.atomic
def information_event_create(
    *,
    actor: User,
    practice: Organisation,
    provider: Provider,
    reference: str,
    kind: str,
    specialty: str,
    occurred_at: dt.datetime,
    received_at: dt.datetime | None = None,
    nhs_number: str = "",
) -> InformationEvent:
    """Record an attendance or discharge the GP is owed information about (and its arrival,
    if known)."""
    _require_data_entry(actor, practice)
    commissioner = _commissioner_of(practice)
    if provider.commissioner_id != commissioner.pk:
        raise ApplicationError("Unknown provider.", extra={"field": "provider"})
    if InformationEvent.objects.filter(provider=provider, reference=reference).exists():
        raise ApplicationError(
            f"{provider.code} reference {reference} is already recorded; record its arrival "
            "instead.",
            extra={"field": "reference"},
        )
    occurred_at = _aware(occurred_at)
    received_at = _aware(received_at) if received_at else None
    if received_at and received_at < occurred_at:
        raise ApplicationError(
            "The information cannot arrive before the event.", extra={"field": "received_at"}
        )
    key = ""
    if nhs_number:
        try:
            key = patient_key(nhs_number)
        except InvalidNhsNumber as exc:
            raise ApplicationError(str(exc), extra={"field": "nhs_number"}) from exc
    local = timezone.localtime(occurred_at).date()
    event = InformationEvent.objects.create(
        commissioner=commissioner,
        locality=_locality_of(practice),
        practice=practice,
        provider=provider,
        reference=reference,
        kind=InformationKind(kind),
        specialty=specialty,
        occurred_at=occurred_at,
        received_at=received_at,
        delay_hours=_delay_hours(occurred_at, received_at),
        year=financial_year_of(local),
        month=month_number(local),
        patient_key=key,
    )
    audit_record(
        actor=actor,
        event="information_event.recorded",
        subject=event,
        organisation=practice,
        after={"provider": provider.code, "reference": reference, "kind": kind},
    )
    return event


@transaction.atomic
def information_received_record(
    *, actor: User, event: InformationEvent, received_at: dt.datetime
) -> InformationEvent:
    """The information has reached the GP: any payment held for it is released."""
    _require_data_entry(actor, event.practice)
    event = InformationEvent.objects.select_for_update().get(pk=event.pk)
    received_at = _aware(received_at)
    if event.received_at is not None:
        raise ApplicationError(
            f"Already received on {timezone.localtime(event.received_at):%d %b %Y %H:%M}.",
            extra={"field": "received_at"},
        )
    if received_at < event.occurred_at:
        raise ApplicationError(
            "The information cannot arrive before the event.", extra={"field": "received_at"}
        )
    event.received_at = received_at
    event.delay_hours = _delay_hours(event.occurred_at, received_at)
    event.save(update_fields=["received_at", "delay_hours"])
    audit_record(
        actor=actor,
        event="information_event.received",
        subject=event,
        organisation=event.practice,
        before={"received_at": None},
        after={"received_at": received_at.isoformat(), "delay_hours": event.delay_hours},
    )
    return event


@transaction.atomic
def provider_payment_on_information_set(
    *, actor: User | None, provider: Provider, enabled: bool, actor_label: str = ""
) -> Provider:
    """Switch payment on information on or off for a provider's contract (finance)."""
    if actor is not None:
        if not holds_role_over(actor, Role.PCT_FINANCE, provider.commissioner):
            raise PermissionDenied("Only PCT finance changes a contract's payment terms.")
        require(actor, Action.CHANGE_MONEY, provider.commissioner)
    provider = Provider.objects.select_for_update().get(pk=provider.pk)
    if provider.payment_on_information == enabled:
        return provider
    provider.payment_on_information = enabled
    provider.save(update_fields=["payment_on_information"])
    audit_record(
        actor=actor,
        actor_label=actor_label,
        event="provider.payment_on_information",
        subject=provider,
        organisation=provider.commissioner,
        before={"payment_on_information": not enabled},
        after={"payment_on_information": enabled},
    )
    return provider
