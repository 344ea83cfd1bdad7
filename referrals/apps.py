from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"

    def ready(self) -> None:
        # Budgets shows payment held on information beside its positions and dashboards but may
        # not import referrals (referrals sits above it): give it the one function it reads.
        from budgets.activity.holds import held_cells_register

        from . import layouts  # noqa: F401 - declares the referral files to the importer
        from .selectors import held_cells

        held_cells_register(held_cells)
