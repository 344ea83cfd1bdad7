"""Forms for the budgets pages: they check the shape of what was typed; the services decide.

Messages follow the NHS service manual: say what to do ("Enter ...", "Select ...").
"""

from __future__ import annotations

from django import forms

from consortia.errors import ApplicationError
from consortia.money import to_pence


class VirementRequestForm(forms.Form):
    source = forms.ModelChoiceField(
        queryset=None,
        error_messages={
            "required": "Select the budget the money comes from",
            "invalid_choice": "Select a budget from the list for where the money comes from",
        },
    )
    target = forms.ModelChoiceField(
        queryset=None,
        error_messages={
            "required": "Select the budget the money goes to",
            "invalid_choice": "Select a budget from the list for where the money goes",
        },
    )
    amount = forms.CharField(
        max_length=20,
        error_messages={
            "required": "Enter the amount to move, in pounds",
            "max_length": "Amount must be 20 characters or fewer",
        },
    )
    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea,
        error_messages={
            "required": "Enter why the money should move",
            "max_length": "Reason must be 500 characters or fewer",
        },
    )

    def __init__(self, *args, accounts, **kwargs):
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = accounts
        self.fields["target"].queryset = accounts

    def clean_amount(self) -> int:
        try:
            pence = to_pence(self.cleaned_data["amount"], field="amount")
        except ApplicationError as exc:
            raise forms.ValidationError(
                "Enter the amount in pounds and pence, like 1,000 or 1000.50"
            ) from exc
        if pence <= 0:
            raise forms.ValidationError("Enter an amount of more than £0")
        return pence


class VirementApproveForm(forms.Form):
    override_reason = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "Override reason must be 500 characters or fewer"},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)


class VirementRejectForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": "Enter why you are rejecting this virement",
            "max_length": "Reason must be 500 characters or fewer",
        },
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)
