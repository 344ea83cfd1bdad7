"""Query parameters validated like a request body: a bad value is a 400 naming the parameter.

`?year=abc` or `?by=colour` must not reach a selector (where it would fail, or be taken as
absent); each API view that reads its own parameters declares them as a serializer.
"""

from datetime import UTC, timedelta

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import serializers


def query_validated(request, serializer_class: type[serializers.Serializer]) -> dict:
    """The request's query parameters checked by `serializer_class` (ValidationError: 400)."""
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data


def choice(choices, **kwargs) -> serializers.ChoiceField:
    """A ChoiceField whose refusal lists the allowed values."""
    allowed = ", ".join(str(value) for value in choices)
    return serializers.ChoiceField(
        choices=choices,
        error_messages={"invalid_choice": f'"{{input}}" is not allowed; use one of: {allowed}.'},
        **kwargs,
    )


def year(**kwargs) -> serializers.IntegerField:
    """A financial year by its first calendar year (2010 is 2010-11)."""
    return serializers.IntegerField(min_value=2000, max_value=2100, required=False, **kwargs)


def month(**kwargs) -> serializers.IntegerField:
    """A month of the financial year, 1 (April) to 12 (March)."""
    return serializers.IntegerField(min_value=1, max_value=12, required=False, **kwargs)


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, whose refusal of an unknown choice lists the allowed values."""

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            raise serializers.ValidationError(_with_allowed_values(filterset))
        return filterset.qs


def _with_allowed_values(filterset) -> dict[str, list[str]]:
    errors = {}
    for name, messages in filterset.errors.items():
        field = filterset.form.fields.get(name)
        if isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField):
            allowed = ", ".join(str(value) for value, _ in field.choices if value != "")
            given = filterset.form.data.get(name)
            messages = [f'"{given}" is not allowed; use one of: {allowed}.']
        errors[name] = list(messages)
    return errors


class PlausibleIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date and time between 1900 and 2100, its UTC offset within ±14 hours (the
    widest in use; PostgreSQL refuses wider ones), given to the query in UTC."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return value
        offset = value.utcoffset()
        if not 1900 <= value.year <= 2100 or (
            offset is not None and abs(offset) > timedelta(hours=14)
        ):
            raise ValidationError(
                "Give a date and time between 1900 and 2100, with a UTC offset within ±14:00.",
                code="invalid",
            )
        return value.astimezone(UTC) if offset is not None else value


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = PlausibleIsoDateTimeField
