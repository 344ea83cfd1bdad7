"""The permission matrix: every role × each action × its own node, a sibling, another commissioner.

Read a row as: this person, on a node in their own patch / elsewhere in the county / in another
commissioner's tree, may (True) or may not (False) do this.
"""

import pytest

from consortia.models import OrganisationKind
from consortia.permissions import Action, can
from consortia.services import organisation_create

pytestmark = pytest.mark.django_db

A = Action
# username: (own node, another node in the same county)
PATCHES = {
    "ceo": ("5NE-CAR", "5NE-EDE"),
    "coo": ("5NE-CAR", "5NE-EDE"),
    "finance": ("5NE-CAR", "5NE-EDE"),
    "director": ("5NE-CAR", "5NE-EDE"),
    "secretary": ("5NE-CAR", "5NE-EDE"),
    "lead.carlisle": ("A82015", "A82038"),  # Carlisle practice; an Eden practice
    "sublead.workington": ("A82047", "A82028"),  # Workington practice; a Keswick practice
    "practice.a82015": ("A82015", "A82016"),  # own practice; a neighbour in Carlisle
}
Y, n = True, False
# username -> action -> (own, same county, other commissioner)
MATRIX = {
    "ceo": {A.VIEW_ORGANISATION: (Y, Y, n), A.VIEW_MONEY: (Y, Y, n), A.CHANGE_MONEY: (n, n, n),
            A.APPROVE_ALLOCATION: (Y, Y, n), A.MANAGE_TREE: (n, n, n),
            A.MANAGE_ROLES: (Y, Y, n), A.VIEW_AUDIT: (Y, Y, n), A.RUN_SENATE: (n, n, n),
            A.ADOPT_STANDARD: (n, n, n),
            A.PEER_REVIEW: (n, n, n)},
    "coo": {A.VIEW_ORGANISATION: (Y, Y, n), A.VIEW_MONEY: (Y, Y, n), A.CHANGE_MONEY: (Y, Y, n),
            A.APPROVE_ALLOCATION: (n, n, n), A.MANAGE_TREE: (n, n, n),
            A.MANAGE_ROLES: (Y, Y, n), A.VIEW_AUDIT: (Y, Y, n), A.RUN_SENATE: (n, n, n),
            A.ADOPT_STANDARD: (n, n, n),
            A.PEER_REVIEW: (n, n, n)},
    "finance": {A.VIEW_ORGANISATION: (Y, Y, n), A.VIEW_MONEY: (Y, Y, n),
                A.CHANGE_MONEY: (Y, Y, n), A.APPROVE_ALLOCATION: (n, n, n),
                A.MANAGE_TREE: (Y, Y, n), A.MANAGE_ROLES: (n, n, n),
                A.VIEW_AUDIT: (Y, Y, n), A.RUN_SENATE: (n, n, n),
                A.ADOPT_STANDARD: (n, n, n),
                A.PEER_REVIEW: (n, n, n)},
    "director": {A.VIEW_ORGANISATION: (Y, Y, n), A.VIEW_MONEY: (Y, Y, n),
                 A.CHANGE_MONEY: (n, n, n), A.APPROVE_ALLOCATION: (n, n, n),
                 A.MANAGE_TREE: (n, n, n), A.MANAGE_ROLES: (n, n, n),
                 A.VIEW_AUDIT: (Y, Y, n), A.RUN_SENATE: (n, n, n),
                 A.ADOPT_STANDARD: (n, n, n),
                 A.PEER_REVIEW: (n, n, n)},
    "secretary": {A.VIEW_ORGANISATION: (Y, Y, n), A.VIEW_MONEY: (Y, Y, n),
                  A.CHANGE_MONEY: (n, n, n), A.APPROVE_ALLOCATION: (n, n, n),
                  A.MANAGE_TREE: (n, n, n), A.MANAGE_ROLES: (n, n, n),
                  A.VIEW_AUDIT: (n, n, n), A.RUN_SENATE: (Y, Y, n),
                  A.ADOPT_STANDARD: (Y, Y, n),
                  A.PEER_REVIEW: (n, n, n)},
    "lead.carlisle": {A.VIEW_ORGANISATION: (Y, Y, n), A.VIEW_MONEY: (Y, Y, n),
                      A.CHANGE_MONEY: (Y, n, n), A.APPROVE_ALLOCATION: (n, n, n),
                      A.MANAGE_TREE: (n, n, n), A.MANAGE_ROLES: (n, n, n),
                      A.VIEW_AUDIT: (n, n, n), A.RUN_SENATE: (n, n, n),
                      A.ADOPT_STANDARD: (Y, n, n),
                      A.PEER_REVIEW: (Y, n, n)},
    "sublead.workington": {A.VIEW_ORGANISATION: (Y, Y, n), A.VIEW_MONEY: (Y, Y, n),
                           A.CHANGE_MONEY: (Y, n, n), A.APPROVE_ALLOCATION: (n, n, n),
                           A.MANAGE_TREE: (n, n, n), A.MANAGE_ROLES: (n, n, n),
                           A.VIEW_AUDIT: (n, n, n), A.RUN_SENATE: (n, n, n),
                           A.ADOPT_STANDARD: (n, n, n),
                           A.PEER_REVIEW: (n, n, n)},
    "practice.a82015": {A.VIEW_ORGANISATION: (Y, n, n), A.VIEW_MONEY: (Y, n, n),
                        A.CHANGE_MONEY: (n, n, n), A.APPROVE_ALLOCATION: (n, n, n),
                        A.MANAGE_TREE: (n, n, n), A.MANAGE_ROLES: (n, n, n),
                        A.VIEW_AUDIT: (n, n, n), A.RUN_SENATE: (n, n, n),
                        A.ADOPT_STANDARD: (n, n, n),
                        A.PEER_REVIEW: (n, n, n)},
}  # fmt: skip


@pytest.fixture
def other_commissioner_practice(cumbria):
    icb = organisation_create(
        actor=None,
        kind=OrganisationKind.COMMISSIONER,
        code="QHM",
        name="North East and North Cumbria ICB",
        locality_level_name="Place",
        sub_locality_level_name="Primary care network",
    )
    place = organisation_create(
        actor=None, kind=OrganisationKind.LOCALITY, code="QHM-NCL", name="Newcastle", parent=icb
    )
    return organisation_create(
        actor=None,
        kind=OrganisationKind.PRACTICE,
        code="A85001",
        name="Newcastle Practice",
        parent=place,
    )


def test_the_matrix_covers_every_role_and_action():
    from consortia.models import Role

    demo_roles = {
        "ceo",
        "coo",
        "finance",
        "director",
        "secretary",
        "lead.carlisle",
        "sublead.workington",
        "practice.a82015",
    }
    assert set(MATRIX) == demo_roles and len(demo_roles) == len(Role.values)
    assert all(set(row) == set(Action) for row in MATRIX.values())


@pytest.mark.parametrize("username", sorted(MATRIX))
def test_permission_matrix(username, person, node, other_commissioner_practice):
    user = person(username)
    own, sibling = (node(code) for code in PATCHES[username])

    actual = {
        action: (
            can(user, action, own),
            can(user, action, sibling),
            can(user, action, other_commissioner_practice),
        )
        for action in Action
    }

    assert actual == MATRIX[username]


def test_a_role_that_has_ended_grants_nothing(person, node):
    from consortia.services import role_revoke

    user = person("lead.carlisle")
    role_revoke(actor=None, assignment=user.role_assignments.get())
    user = person("lead.carlisle")  # fresh object: no cached roles

    assert not can(user, Action.VIEW_ORGANISATION, node("5NE-CAR"))
