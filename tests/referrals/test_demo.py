"""The Cumbria demo: Carlisle's ophthalmology outliers, a slow provider whose payment is held,
the GPSI scheme's saving against tariff; loading it twice changes nothing."""

import pytest

from budgets.activity.demo import cumbria_activity_load
from consortia.models import Organisation
from referrals.demo import cumbria_referrals_load
from referrals.models import InformationEvent, Referral
from referrals.selectors import (
    held_payments,
    open_peer_reviews,
    outliers_for,
    scheme_savings,
    slow_providers,
)

pytestmark = pytest.mark.django_db


def test_the_demo_journey_figures(cumbria, person):
    cumbria_activity_load()
    assert cumbria_referrals_load() is not None
    lead, carlisle = person("lead.carlisle"), Organisation.objects.get(code="5NE-CAR")

    outliers = outliers_for(user=lead, locality=carlisle, year=2010)
    assert ("A82019", "130", "high") in {(o.practice.code, o.measure, o.flag) for o in outliers}
    assert [r.practice.code for r in open_peer_reviews(user=lead, locality=carlisle)] == ["A82018"]
    slowest = slow_providers(user=lead, commissioner=cumbria, year=2010)[0]
    assert (slowest.provider.code, slowest.kind) == ("RNL", "clinic_letter")
    assert slowest.share_within < 0.5
    held = held_payments(user=lead, commissioner=cumbria, year=2010, month=9)
    assert {r.provider.code for r in held} == {"RNL"} and sum(r.held for r in held) > 0
    gpsi = next(r for r in scheme_savings(user=lead, locality=carlisle) if "ophthalmology" in
                r.scheme.name)  # fmt: skip
    assert 50 <= gpsi.percent_of_tariff <= 65 and gpsi.saving > 0
    assert gpsi.conflicts and not gpsi.needs_justification


def test_loading_the_demo_twice_changes_nothing(cumbria):
    cumbria_referrals_load()
    counts = (Referral.objects.count(), InformationEvent.objects.count())

    assert cumbria_referrals_load() is None
    assert (Referral.objects.count(), InformationEvent.objects.count()) == counts
