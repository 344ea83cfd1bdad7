"""Care stream boards and standards: mandatory and flexible elements, adoption by the senate,
local adoption with variations, and the compliance view."""

import pytest
from django.core.exceptions import PermissionDenied
from rest_framework.test import APIClient

from consortia.errors import ApplicationError
from senate.models import CareStream, MotionKind, Result, StandardVersion
from senate.services import adoption_record, standard_version_propose

pytestmark = pytest.mark.django_db


def test_the_five_care_streams(cumbria):
    assert list(CareStream.objects.filter(commissioner=cumbria).values_list("name", flat=True)) == [
        "Emergency care", "Scheduled care", "Long-term conditions", "Children and families",
        "Mental health",
    ]  # fmt: skip


def _propose(secretary, cumbria, code="EMERG-COPD", elements=None):
    return standard_version_propose(
        actor=secretary,
        care_stream=CareStream.objects.get(commissioner=cumbria, code="EMERG"),
        code=code,
        title="COPD exacerbations: ambulatory care",
        kind="standard",
        summary="Keep people with a COPD exacerbation out of hospital where safe.",
        elements=elements
        or [
            ("Same-day respiratory nurse review", True),
            ("Rescue packs held at home", False),
        ],  # fmt: skip
    )


def test_a_standard_needs_a_mandatory_element(secretary, cumbria):
    with pytest.raises(ApplicationError, match="at least one element mandatory"):
        _propose(secretary, cumbria, elements=[("Optional thing", False)])


def test_the_senate_adopts_an_amendment_and_the_old_version_is_superseded(
    sitting, secretary, cumbria
):
    diabetes_v1 = StandardVersion.objects.get(standard__code="LTC-DIAB", number=1)
    v2 = standard_version_propose(
        actor=secretary,
        care_stream=diabetes_v1.standard.care_stream,
        code="LTC-DIAB",
        title="Diabetes pathway",
        kind="pathway",
        summary="Adds foot protection for everyone at moderate risk.",
        elements=[(e.text, e.mandatory) for e in diabetes_v1.elements.all()]
        + [("Annual foot protection review for moderate risk", True)],
    )
    s = sitting(kind=MotionKind.STANDARD, standard_version=v2)
    s.open()
    s.votes(lead_allerdale="for")

    assert s.close().result == Result.CARRIED
    diabetes_v1.refresh_from_db()
    v2.refresh_from_db()
    assert (diabetes_v1.status, v2.status, v2.number) == ("superseded", "adopted", 2)


def test_a_locality_records_adoption_with_variations_of_flexible_elements(person, cumbria, node):
    version = StandardVersion.objects.get(standard__code="LTC-DIAB", status="adopted")
    mandatory = [e for e in version.elements.all() if e.mandatory]
    flexible = [e for e in version.elements.all() if not e.mandatory]
    lead = person("lead.copeland")

    adoption_record(
        actor=lead,
        locality=node("5NE-COP"),
        version=version,
        elements={**{e.pk: "" for e in mandatory}, flexible[0].pk: "Insulin starts in Whitehaven"},
    )

    row = APIClient().get("/api/senate/compliance/").json()[0]
    cells = {c["locality"]: c for c in row["localities"]}
    assert row["standard"]["code"] == "LTC-DIAB"
    assert cells["5NE-COP"]["complies"] is True
    assert cells["5NE-COP"]["variations"] == ["Insulin starts in Whitehaven"]
    assert cells["5NE-BAR"]["complies"] is False and cells["5NE-BAR"]["mandatory_adopted"] == 3
    assert cells["5NE-ALL"]["mandatory_adopted"] == 0


def test_a_mandatory_element_cannot_be_varied_locally(person, node):
    version = StandardVersion.objects.get(standard__code="LTC-DIAB", status="adopted")
    element = version.elements.filter(mandatory=True).first()

    with pytest.raises(ApplicationError, match="mandatory in every locality"):
        adoption_record(actor=person("lead.copeland"), locality=node("5NE-COP"), version=version,
                        elements={element.pk: "Only every other year"})  # fmt: skip


def test_a_lead_gp_records_adoption_for_their_own_locality_only(person, node):
    version = StandardVersion.objects.get(standard__code="LTC-DIAB", status="adopted")
    element = version.elements.first()

    with pytest.raises(PermissionDenied):
        adoption_record(actor=person("lead.copeland"), locality=node("5NE-EDE"), version=version,
                        elements={element.pk: ""})  # fmt: skip


def test_a_proposed_standard_cannot_be_adopted_locally_yet(secretary, cumbria, person, node):
    version = _propose(secretary, cumbria)

    with pytest.raises(ApplicationError, match="senate has adopted"):
        adoption_record(actor=person("lead.copeland"), locality=node("5NE-COP"), version=version,
                        elements={version.elements.first().pk: ""})  # fmt: skip


def test_the_compliance_page_shows_which_localities_adopted_the_mandatory_elements(client, cumbria):
    html = client.get("/senate/standards/compliance/").content.decode()

    assert "Diabetes pathway" in html
    assert html.count("Mandatory adopted") == 3  # Carlisle, Eden, South Lakeland
    assert "3 of 4 mandatory" in html  # Barrow
    assert "Evening groups at the Cumberland Infirmary education centre" in html


def test_the_standard_page_lists_mandatory_and_flexible_elements_and_local_adoption(
    client, person, cumbria
):
    version = StandardVersion.objects.get(standard__code="LTC-DIAB", status="adopted")
    client.force_login(person("lead.copeland"))

    html = client.get(f"/senate/standards/{version.pk}/").content.decode()

    assert html.count(">Mandatory<") == 4 and html.count(">Flexible<") == 2
    assert "Record Copeland's adoption" in html
    assert "CS-2010-03-25/M2" in html
