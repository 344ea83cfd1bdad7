"""The budgets demo in the state the pages and API tests expect, whatever loaded it before.

`budgets.demo.cumbria_budgets_load()` creates the 2010-11 model run. Depending on the version of
the demo it also approves it, delegates Allerdale's budget and requests the demo virements, or
leaves those to the senate's demo and `cumbria_budgets_after_allocation`. Here the chief
executive approves a run left proposed (the same service, with the authority the senate would
otherwise exercise), then the after-allocation steps run. Every step is idempotent.
"""

from budgets import demo
from budgets.allocation.services import model_run_approve
from budgets.models import ModelRun, RunStatus
from consortia.models import User


def budgets_demo_load() -> ModelRun:
    run = demo.cumbria_budgets_load()
    if run.status == RunStatus.PROPOSED:
        model_run_approve(run=run, actor=User.objects.get(username="ceo"))
        run.refresh_from_db()
    after_allocation = getattr(demo, "cumbria_budgets_after_allocation", None)
    if after_allocation is not None:
        after_allocation(run)
    return run
