"""The weighted capitation model, as a pure function of its inputs (no database).

For each practice:  age-weighted population = Σ patients(sex, band) × age weight(sex, band)
                    need index = 1 + need weight × (deprivation − mean) / mean
                      (mean = the commissioner's population-weighted mean deprivation)
                    weighted population = age-weighted × need index
                                          × market forces factor × sparsity factor (its locality)
For each locality:  weighted population = Σ its practices; target share = its part of the total.
For each line:      target = envelope split by weighted population (largest remainder, exact);
                    uplifted baseline = envelope split by last year's allocations (same shares);
                    move toward target, capped at pace% of the uplifted baseline; if the capped
                    gains and losses differ, the larger side is scaled down so they balance;
                    proposal = uplifted baseline + move. Proposals sum to the envelope exactly.
Collective lines are not delegated: the target is each locality's stake, shown, not posted.
Memorandum lines are split by registered population (GP contract values follow list sizes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal

from consortia.money import split_exactly


@dataclass(frozen=True)
class PracticeInput:
    code: str
    locality: str
    bands: dict[tuple[str, str], int]  # (sex, age band) -> patients
    deprivation: Decimal


@dataclass(frozen=True)
class Parameters:
    age_weights: dict[str, dict[str, Decimal]]  # sex -> band -> weight
    need_weight: Decimal
    market_forces: dict[str, Decimal]
    sparsity: dict[str, Decimal]
    pace_of_change_percent: Decimal


@dataclass
class PracticeResult:
    code: str
    locality: str
    population: int
    age_weighted: Decimal
    need_index: Decimal
    weighted: Decimal


@dataclass
class LineResult:
    target: int
    baseline: int
    uplifted_baseline: int
    capped_move: int
    proposal: int


@dataclass
class LocalityResult:
    code: str
    population: int = 0
    age_weighted: Decimal = Decimal(0)
    needs_weighted: Decimal = Decimal(0)  # age-weighted × need, before MFF and sparsity
    market_forces: Decimal = Decimal(1)
    sparsity: Decimal = Decimal(1)
    weighted: Decimal = Decimal(0)
    share: Decimal = Decimal(0)
    lines: dict[str, LineResult] = field(default_factory=dict)

    @property
    def need_index(self) -> Decimal:
        return self.needs_weighted / self.age_weighted if self.age_weighted else Decimal(1)


@dataclass
class ModelResult:
    practices: list[PracticeResult]
    localities: dict[str, LocalityResult]


def pace_of_change(
    targets: list[int], baselines: list[int] | None, cap_percent: Decimal
) -> list[tuple[int, int, int]]:
    """(uplifted baseline, capped move, proposal) per locality; proposals sum to sum(targets)."""
    envelope = sum(targets)
    if not baselines or sum(baselines) <= 0:
        return [(t, 0, t) for t in targets]  # no history: straight to target
    uplifted = split_exactly(envelope, baselines)
    moves = []
    for target, up in zip(targets, uplifted, strict=True):
        cap = int((Decimal(up) * cap_percent / 100).to_integral_value(rounding=ROUND_FLOOR))
        moves.append(max(-cap, min(cap, target - up)))
    gains = sum(m for m in moves if m > 0)
    losses = -sum(m for m in moves if m < 0)
    if gains > losses:  # not enough released by losers: scale the gains down
        idx = [i for i, m in enumerate(moves) if m > 0]
        for i, part in zip(idx, split_exactly(losses, [moves[i] for i in idx]), strict=True):
            moves[i] = part
    elif losses > gains:
        idx = [i for i, m in enumerate(moves) if m < 0]
        for i, part in zip(idx, split_exactly(gains, [-moves[i] for i in idx]), strict=True):
            moves[i] = -part
    return [(up, m, up + m) for up, m in zip(uplifted, moves, strict=True)]


def run_model(
    *,
    practices: list[PracticeInput],
    parameters: Parameters,
    envelopes: dict[str, int],
    line_categories: dict[str, str],
    baselines: dict[tuple[str, str], int],
    localities: list[str],
) -> ModelResult:
    """Apply the model. `localities` fixes the order of rows; baselines are (locality, line)."""
    total_population = sum(sum(p.bands.values()) for p in practices)
    mean_deprivation = (
        sum(Decimal(sum(p.bands.values())) * p.deprivation for p in practices) / total_population
        if total_population
        else Decimal(0)
    )
    loc = {
        code: LocalityResult(
            code=code,
            market_forces=Decimal(parameters.market_forces.get(code, 1)),
            sparsity=Decimal(parameters.sparsity.get(code, 1)),
        )
        for code in localities
    }
    results = []
    for p in practices:
        population = sum(p.bands.values())
        age_weighted = sum(
            (
                Decimal(n) * Decimal(parameters.age_weights[sex][band])
                for (sex, band), n in p.bands.items()
            ),
            Decimal(0),
        )
        need = Decimal(1)
        if mean_deprivation:
            need += parameters.need_weight * (p.deprivation - mean_deprivation) / mean_deprivation
        row = loc[p.locality]
        weighted = age_weighted * need * row.market_forces * row.sparsity
        results.append(PracticeResult(p.code, p.locality, population, age_weighted, need, weighted))
        row.population += population
        row.age_weighted += age_weighted
        row.needs_weighted += age_weighted * need
        row.weighted += weighted
    total_weighted = sum((r.weighted for r in loc.values()), Decimal(0))
    for row in loc.values():
        row.share = row.weighted / total_weighted if total_weighted else Decimal(0)

    order = [loc[c] for c in localities]
    for line, envelope in envelopes.items():
        category = line_categories[line]
        if category == "memorandum":
            targets = split_exactly(envelope, [r.population for r in order])
        else:
            targets = split_exactly(envelope, [r.weighted for r in order])
        line_baselines = [baselines.get((r.code, line)) for r in order]
        known = None if None in line_baselines else [int(b) for b in line_baselines]
        if category == "delegated":
            steps = pace_of_change(targets, known, parameters.pace_of_change_percent)
        else:
            steps = [(t, 0, t) for t in targets]  # stakes and memoranda: shown, not moved
        for r, target, base, (up, move, proposal) in zip(
            order, targets, known or [0] * len(order), steps, strict=True
        ):
            r.lines[line] = LineResult(target, base, up, move, proposal)
    return ModelResult(practices=results, localities=loc)
