"""What the referral services share: the locality and commissioner above a node, aware datetimes."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from consortia.models import Organisation


def _locality_of(node: Organisation) -> Organisation:
    return Organisation.objects.get(path="/".join(node.path.split("/")[:3]) + "/")


def _commissioner_of(node: Organisation) -> Organisation:
    return Organisation.objects.get(path="/" + node.commissioner_code + "/")


def _aware(value: dt.datetime) -> dt.datetime:
    return timezone.make_aware(value) if timezone.is_naive(value) else value
