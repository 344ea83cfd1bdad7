"""Delegation: budgets to sub-localities, risk pools, the scheme of delegation, virements."""
