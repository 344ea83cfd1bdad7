"""The home page: what each person sees first, one section per kind of role they hold.

It composes every app's summaries (money from budgets, referral figures, the senate's asks,
outcomes), so it is the one part of `consortia` that sits above the other apps: the dependency
contract in pyproject.toml exempts this package, and nothing else in `consortia` imports it but
the URLs."""
