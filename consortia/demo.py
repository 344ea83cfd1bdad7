"""Demo people: one user per role (password "demo"), for the Cumbria demo only."""

from __future__ import annotations

from django.db import transaction

from .models import Organisation, Role, User
from .services import role_assign

DEMO_PASSWORD = "demo"  # noqa: S105 - printed by `make demo`; demo data only
LOADER = "demo loader: demo users"

# username, full name, role, organisation code
DEMO_PEOPLE = [
    ("ceo", "Sir Martin Chief", Role.CHIEF_EXECUTIVE, "5NE"),
    ("coo", "Alison Operations", Role.CHIEF_OPERATING_OFFICER, "5NE"),
    ("finance", "Fiona Finance", Role.PCT_FINANCE, "5NE"),
    ("director", "Dr Edward Director", Role.EXECUTIVE_DIRECTOR, "5NE"),
    ("secretary", "Sam Secretary", Role.SENATE_SECRETARY, "5NE"),
    ("lead.allerdale", "Dr Anne Allerdale", Role.LOCALITY_LEAD, "5NE-ALL"),
    ("lead.barrow", "Dr Ben Barrow", Role.LOCALITY_LEAD, "5NE-BAR"),
    ("lead.carlisle", "Dr Clare Carlisle", Role.LOCALITY_LEAD, "5NE-CAR"),
    ("lead.copeland", "Dr Colin Copeland", Role.LOCALITY_LEAD, "5NE-COP"),
    ("lead.eden", "Dr Eve Eden", Role.LOCALITY_LEAD, "5NE-EDE"),
    ("lead.southlakes", "Dr Sian Lakeland", Role.LOCALITY_LEAD, "5NE-SLA"),
    ("sublead.workington", "Dr Will Workington", Role.SUB_LOCALITY_LEAD, "5NE-ALL-WOR"),
    ("practice.a82015", "Pat Practice", Role.PRACTICE_MEMBER, "A82015"),
]


@transaction.atomic
def demo_users_create() -> list[tuple[str, str, str]]:
    """Create (or refresh) the demo users and their roles; idempotent."""
    out = []
    for username, full_name, role, code in DEMO_PEOPLE:
        first, _, last = full_name.rpartition(" ")
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@example.nhs.uk",
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            # Finance keeps the reference data, so may use the admin in the demo.
            user.is_staff = user.is_superuser = username == "finance"
            user.save(update_fields=["password", "is_staff", "is_superuser"])
        organisation = Organisation.objects.get(code=code)
        role_assign(actor=None, actor_label=LOADER, user=user, role=role, organisation=organisation)
        out.append((username, Role(role).label, organisation.name))
    return out
