"""The decision register as CSV: one row per decision, the same facts as the public page."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.urls import reverse
from django.utils import timezone

from .models import Motion
from .selectors import tally_text

DECISION_HEADER = [
    "Reference",
    "Meeting date",
    "Meeting",
    "Item",
    "Kind",
    "Motion",
    "Result",
    "For",
    "Against",
    "Abstentions",
    "Entitled to vote",
    "Casting vote",
    "Tally",
    "Votes",
    "Declared interests",
    "Consequence",
    "Papers",
]


def decision_rows(decisions: Iterable[Motion], *, base_url: str) -> Iterator[list]:
    for d in decisions:
        yield [
            d.reference,
            timezone.localtime(d.meeting.starts_at).date(),
            d.meeting.title,
            f"{d.item.number}. {d.item.title}",
            d.get_kind_display(),
            d.text,
            d.get_result_display(),
            d.votes_for,
            d.votes_against,
            d.abstentions,
            d.entitled_to_vote,
            d.get_casting_vote_display() if d.casting_vote else "",
            tally_text(d),
            "; ".join(
                f"{v.member.user} ({v.member.title}): {v.get_choice_display()}"
                f"{' (show of hands)' if v.method == 'show_of_hands' else ''}"
                for v in d.votes.all()
            ),
            "; ".join(f"{x.member.user}: {x.interest}" for x in d.item.declarations.all()),
            d.consequence,
            " ".join(base_url + reverse("senate-paper", args=[p.pk]) for p in d.item.papers.all()),
        ]
