from django import forms

from .models import ImportKind


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label="What the file holds", choices=ImportKind.choices)
    year = forms.IntegerField(
        label="Financial year",
        help_text="The year it starts, e.g. 2010 for 2010-11",
        min_value=2000,
        max_value=2100,
    )
    month = forms.IntegerField(
        label="Month", help_text="1 for April (M1) to 12 for March (M12)", min_value=1, max_value=12
    )
    provider = forms.CharField(
        label="Provider",
        required=False,
        help_text="Hospital activity and PbR-excluded drugs come from a provider; prescribing and "
        "community files do not",
    )
    file = forms.FileField(label="File", help_text="CSV (UTF-8) or XLSX, laid out as the template")
    control_rows = forms.IntegerField(
        label="Rows in the file (optional)",
        help_text="The provider's control total: a file with another number of rows is refused",
        required=False,
        min_value=0,
    )
    control_total = forms.CharField(
        label="Total of the file in £ (optional)",
        help_text="The provider's control total, e.g. 1,234,567.89: a file that adds up to "
        "another amount is refused",
        required=False,
        max_length=20,
    )
    revision = forms.BooleanField(
        label="This file is a revision: it replaces the current file for this provider and month",
        required=False,
    )


class PeriodForm(forms.Form):
    year = forms.IntegerField(label="Financial year", min_value=2000, max_value=2100)
    month = forms.IntegerField(label="Month (1 = April)", min_value=1, max_value=12)


class ReopenForm(PeriodForm):
    reason = forms.CharField(label="Why reopen it", max_length=500)
