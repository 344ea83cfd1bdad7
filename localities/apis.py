"""Practices with their population and need (list size and deprivation), on the tree's API."""

from consortia.apis import OrganisationViewSet
from consortia.models import OrganisationKind
from consortia.serializers import PracticeOut

from .selectors import practices_with_list_size


class PracticeViewSet(OrganisationViewSet):
    """Practices with their latest registered list size and deprivation score."""

    serializer_class = PracticeOut
    kind = OrganisationKind.PRACTICE

    def get_queryset(self):
        return practices_with_list_size(super().get_queryset())
