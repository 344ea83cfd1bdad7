"""`{{ year|year_label }}` → "2010-11": a financial year named by the calendar year it starts in."""

from django import template

from budgets.periods import year_label as _year_label

register = template.Library()


@register.filter
def year_label(year):
    return _year_label(int(year))
