"""Template filters for money in pence: `{{ amount|money }}` → "£12,345.67"."""

from django import template

from consortia.money import format_money

register = template.Library()


@register.filter
def money(pence):
    """Pence as pounds with a £ sign; None as an em dash."""
    return format_money(pence)


@register.filter
def money_change(pence):
    """A change in pence with its sign: "+£1.00", "-£1.00", "£0.00"."""
    return format_money(pence, sign=True)


@register.filter
def percent(share, places=2):
    """A fraction (Decimal) as a percentage: 0.1234 → "12.34%"."""
    if share is None:
        return "—"
    return f"{share * 100:.{int(places)}f}%"
