"""Ledger pages: where budgets start, and an account's ledger with its running balance."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone

from budgets.periods import financial_year_of

from .selectors import account_statement, budget_years_visible_to


@login_required
def budgets_home(request):
    """Start at the latest year with budgets the person may see."""
    years = budget_years_visible_to(user=request.user)
    return redirect(
        "budgets-year", year=years[0] if years else financial_year_of(timezone.localdate())
    )


@login_required
def account_detail(request, pk: int):
    return render(
        request,
        "budgets/account_detail.html",
        {"statement": account_statement(user=request.user, pk=pk)},
    )
