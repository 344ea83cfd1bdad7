"""Template filters for referrals figures shown on other apps' pages."""

from django import template

register = template.Library()


@register.filter
def held_for(held: dict | None, position) -> int:
    """Pence held pending information for a position row (its node, and its line or all lines)."""
    if not held:
        return 0
    return held.get((position.organisation_id, position.line_id), 0)


@register.filter
def payable(position, held: dict | None) -> int:
    """A position's year-to-date actual less what is held pending information."""
    return position.ytd_actual - held_for(held, position)
