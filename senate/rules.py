"""The senate's decision rules as pure functions (no database): quorum and a motion's outcome.

Quorum (standing rules, `SenateRules`; default four of the six locality lead GPs and one PCT
executive director): counted among voting members who are present and have NOT declared an
interest in the item; co-opted clinicians never count.

Outcome:
- simple majority: carried if more votes for than against among the votes cast; abstentions are
  not counted. A tie is broken by the chair's casting vote; if the chair cannot give one (absent
  or declared an interest on the item) the motion falls, as under most standing orders.
- supermajority (the Statement of Principles; default two-thirds): carried if the votes for reach
  that fraction of the voting members *entitled* to vote on the item (all voting members in
  office on the day, less those who declared an interest), present or not. No casting vote.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class QuorumCheck:
    lead_gps: int
    executives: int
    lead_gps_needed: int
    executives_needed: int

    @property
    def met(self) -> bool:
        return self.lead_gps >= self.lead_gps_needed and self.executives >= self.executives_needed

    @property
    def explanation(self) -> str:
        return (
            f"{self.lead_gps} lead GP{'s' if self.lead_gps != 1 else ''} ({self.lead_gps_needed} "
            f"needed) and {self.executives} executive director"
            f"{'s' if self.executives != 1 else ''} ({self.executives_needed} needed) present "
            "and free of a declared interest"
        )


def quorum_check(
    *, lead_gps: int, executives: int, lead_gps_needed: int, executives_needed: int
) -> QuorumCheck:
    return QuorumCheck(lead_gps, executives, lead_gps_needed, executives_needed)


@dataclass(frozen=True)
class Outcome:
    carried: bool
    note: str


def needed_for_supermajority(*, entitled: int, numerator: int, denominator: int) -> int:
    """The smallest number of votes for that is at least numerator/denominator of `entitled`."""
    return -(-numerator * entitled // denominator)  # ceiling division, exact in integers


def simple_majority(
    *, votes_for: int, votes_against: int, casting_vote: str = "", chair_may_cast: bool = True
) -> Outcome:
    """Votes for against votes against; abstentions are not counted; a tie goes to the chair."""
    if votes_for > votes_against:
        return Outcome(True, f"Carried by {votes_for} to {votes_against}.")
    if votes_against > votes_for:
        return Outcome(False, f"Lost by {votes_for} to {votes_against}.")
    if not chair_may_cast:
        return Outcome(
            False,
            f"Tied {votes_for} to {votes_against}; the chair could not give a casting vote, "
            "so the motion falls.",
        )
    if casting_vote not in ("for", "against"):
        raise ValueError("A tie needs the chair's casting vote, for or against.")
    carried = casting_vote == "for"
    return Outcome(
        carried,
        f"Tied {votes_for} to {votes_against}; {'carried' if carried else 'lost'} on the "
        f"chair's casting vote {casting_vote}.",
    )


def supermajority(*, votes_for: int, entitled: int, numerator: int, denominator: int) -> Outcome:
    """Votes for against numerator/denominator of the members entitled to vote."""
    needed = needed_for_supermajority(
        entitled=entitled, numerator=numerator, denominator=denominator
    )
    carried = entitled > 0 and votes_for >= needed
    return Outcome(
        carried,
        f"{votes_for} for, of {entitled} voting member{'s' if entitled != 1 else ''} entitled to "
        f"vote; {numerator}/{denominator} needed {needed}: {'carried' if carried else 'lost'}.",
    )
