"""`{{ change|signed_percent }}` → "+8.9%", "-2.0%", "0.0%"; None as an em dash."""

from django import template

register = template.Library()


@register.filter
def signed_percent(value, unit="%"):
    if value is None or value == "":
        return "—"
    sign = "+" if value > 0 else ""
    return f"{sign}{value}{unit}"
