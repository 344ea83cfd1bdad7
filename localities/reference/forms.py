from django import forms

from .layouts import LIST_SIZES, WEIGHTED_POPULATIONS


class ReferenceFileForm(forms.Form):
    kind = forms.ChoiceField(
        label="What the file holds",
        choices=[
            (LIST_SIZES, "Practice list sizes (NHS BSA quarterly, or the template)"),
            (WEIGHTED_POPULATIONS, "Weighted populations (NHS England, practice output)"),
        ],
    )
    as_of = forms.DateField(
        label="Date of the figures (list sizes)",
        help_text="The date the list sizes are for, e.g. 2013-04-01 for the April-June quarter",
        required=False,
    )
    year = forms.IntegerField(
        label="Financial year (weighted populations)",
        help_text="The year it starts, e.g. 2022 for 2022/23",
        min_value=2000,
        max_value=2100,
        required=False,
    )
    file = forms.FileField(label="File", help_text="CSV (UTF-8) or XLSX, as published")
