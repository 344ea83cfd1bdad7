"""Forms of the referrals pages: input validation only; the rules live in services."""

from django import forms

from .models import InterestKind, ReferralImportKind, SchemeKind


class ReviewOpenForm(forms.Form):
    discussion = forms.CharField(label="What was discussed", widget=forms.Textarea)
    actions = forms.CharField(label="Agreed actions", widget=forms.Textarea, required=False)
    follow_up_on = forms.DateField(
        label="Follow-up date",
        help_text="A date after today when the review meets again, as YYYY-MM-DD",
    )


class ReviewNoteForm(forms.Form):
    discussion = forms.CharField(label="What was discussed", widget=forms.Textarea)
    actions = forms.CharField(label="Agreed actions", widget=forms.Textarea, required=False)
    follow_up_on = forms.DateField(
        label="New follow-up date (optional)", required=False, help_text="For example, 2011-01-31"
    )


class ReviewCloseForm(forms.Form):
    outcome = forms.CharField(label="What the review concluded", widget=forms.Textarea)


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label="What the file holds", choices=ReferralImportKind.choices)
    file = forms.FileField(label="File", help_text="CSV or XLSX, laid out as the template")


class SchemeForm(forms.Form):
    commissioning_node = forms.CharField(
        label="Commissioned by (locality or sub-locality code)", help_text="For example, 5NE-CAR"
    )
    name = forms.CharField(label="Name of the scheme", max_length=200)
    kind = forms.ChoiceField(label="Kind", choices=SchemeKind.choices)
    provider = forms.CharField(label="Provider code", help_text="For example, CARGPSI")
    specialty = forms.CharField(label="Treatment function code (optional)", required=False)
    started_on = forms.DateField(label="Started on", help_text="For example, 2009-08-01")
    price_per_case = forms.CharField(
        label="Price per case, £ (blank if paid a monthly cost)", required=False
    )
    tariff_price = forms.CharField(label="Tariff price per case it replaces, £")
    tariff_description = forms.CharField(label="The tariff it replaces", max_length=200)
    investment = forms.CharField(label="Investment made, £", required=False)
    description = forms.CharField(label="Description", widget=forms.Textarea, required=False)
    justification = forms.CharField(
        label="Justification, if a decision maker has an interest in the provider",
        widget=forms.Textarea,
        required=False,
    )


class SchemeActivityForm(forms.Form):
    year = forms.IntegerField(label="Financial year", min_value=2000, max_value=2100)
    month = forms.IntegerField(label="Month (1 = April)", min_value=1, max_value=12)
    cases = forms.IntegerField(label="Cases", min_value=0)
    cost = forms.CharField(label="Cost, £ (blank: cases × price)", required=False)


class JustifyForm(forms.Form):
    justification = forms.CharField(label="The good medical reason", widget=forms.Textarea)


class InterestForm(forms.Form):
    provider = forms.CharField(label="Provider code", help_text="For example, CARGPSI")
    kind = forms.ChoiceField(label="Kind of interest", choices=InterestKind.choices)
    nature = forms.CharField(label="What the interest is", max_length=500)
    declared_on = forms.DateField(label="Held since", help_text="For example, 2009-06-01")
    practice = forms.CharField(
        label="Practice code, if declaring for your practice (optional)", required=False
    )
