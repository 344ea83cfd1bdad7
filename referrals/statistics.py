"""Pure statistics for peer comparison: funnel plots, overdispersion, SPC (XmR) charts.

No database here: plain numbers in, plain numbers out, so each rule is tested by hand.

Funnel plots follow the Public Health England / NHS-R methods for a rate per population
(Spiegelhalter, "Funnel plots for comparing institutional performance", Stat Med 2005): the target
is the peers' pooled rate p = ΣO / Σn; a unit with denominator n has control limits
p ± z·sqrt(p/n) (the normal approximation to Poisson counts), z = 1.96 (95%) and 3.09 (99.8%).
Overdispersion (Spiegelhalter, "Handling over-dispersion of performance indicators", Qual Saf
Health Care 2005; NHS-R FunnelPlotR): each unit's z-score z_i = (y_i − p)/s_i, s_i = sqrt(p/n_i),
is Winsorised at 10% each end; φ = Σz²/k. Multiplicative: limits p ± z·sqrt(φ)·s_i (when φ > 1).
Additive (random effects, as the SHMI): τ² = max(0, (kφ − (k−1)) / (Σw − Σw²/Σw)), w_i = 1/s_i²;
limits p ± z·sqrt(s_i² + τ²).

SPC follows NHS England's "Making Data Count": an XmR chart whose process limits are
mean ± 2.66 × the mean moving range; special cause is a point outside the limits or a run of 7 or
more consecutive points on one side of the mean.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

Z95 = 1.959963984540054  # two-sided 95%
Z998 = 3.090232306167813  # two-sided 99.8%
WINSOR = 0.1  # Winsorise 10% at each end (FunnelPlotR's default)
SPC_SIGMA = 2.66  # 3 / d2, d2 = 1.128 for moving ranges of two
SPC_RUN = 7


def weighted_population(bands: dict[str, int], weights: dict[str, Decimal] | None) -> Decimal:
    """Σ patients in each age band × the band's weight (1.0 when no weights are given)."""
    if not weights:
        return Decimal(sum(bands.values()))
    return sum(
        (Decimal(patients) * Decimal(weights.get(band, 1)) for band, patients in bands.items()),
        Decimal(0),
    )


@dataclass(frozen=True)
class Unit:
    key: object
    observed: int
    denominator: float  # patients (or weighted patients)


@dataclass
class FunnelPoint:
    key: object
    observed: int
    denominator: float
    rate: float  # per `per` patients
    z: float | None
    lower95: float
    upper95: float
    lower998: float
    upper998: float
    flag: str  # "high" or "low" beyond the outlier limit, else ""
    warning: str  # "high" or "low" beyond the 95% limit, else ""


@dataclass
class Funnel:
    target: float  # per `per` patients
    per: int
    overdispersion: str
    phi: float | None
    tau2: float | None
    outlier_limit: str
    points: list[FunnelPoint] = field(default_factory=list)

    def limits_at(self, denominator: float) -> dict[str, float]:
        """Control limits at any denominator (for drawing the funnel)."""
        return _limits(
            self.target / self.per, denominator, self.per, self.overdispersion, self.phi, self.tau2
        )


def winsorise(values: Sequence[float], fraction: float = WINSOR) -> list[float]:
    """Replace the `fraction` most extreme values at each end by the nearest value kept
    (floor(k × fraction) values each end; order of the input is kept)."""
    k = len(values)
    cut = int(math.floor(k * fraction))
    if cut == 0:
        return list(values)
    ordered = sorted(values)
    low, high = ordered[cut], ordered[k - 1 - cut]
    return [min(max(v, low), high) for v in values]


def _limits(p, n, per, overdispersion, phi, tau2) -> dict[str, float]:
    s2 = p / n if n > 0 else math.inf
    if overdispersion == "multiplicative" and phi is not None and phi > 1:
        s2 = s2 * phi
    elif overdispersion == "additive" and tau2:
        s2 = s2 + tau2
    s = math.sqrt(s2)
    return {
        "lower95": max(0.0, (p - Z95 * s)) * per,
        "upper95": (p + Z95 * s) * per,
        "lower998": max(0.0, (p - Z998 * s)) * per,
        "upper998": (p + Z998 * s) * per,
    }


def funnel(
    units: Iterable[Unit],
    *,
    per: int = 1000,
    overdispersion: str = "none",
    outlier_limit: str = "99.8",
) -> Funnel:
    """Funnel plot of rates per `per` patients around the peers' pooled rate (see the module)."""
    units = [u for u in units if u.denominator > 0]
    total_n = sum(u.denominator for u in units)
    p = sum(u.observed for u in units) / total_n if total_n else 0.0
    zs = []
    for u in units:
        s = math.sqrt(p / u.denominator) if p > 0 else 0.0
        zs.append((u.observed / u.denominator - p) / s if s else 0.0)
    k = len(units)
    phi = tau2 = None
    if k and p > 0:
        phi = sum(z * z for z in winsorise(zs)) / k
        w = [u.denominator / p for u in units]  # 1 / s_i²
        sw, sw2 = sum(w), sum(x * x for x in w)
        denominator = sw - sw2 / sw
        tau2 = max(0.0, (k * phi - (k - 1)) / denominator) if denominator > 0 else 0.0
    out = Funnel(
        target=p * per,
        per=per,
        overdispersion=overdispersion,
        phi=phi,
        tau2=tau2,
        outlier_limit=outlier_limit,
    )
    for u, z in zip(units, zs, strict=True):
        rate = u.observed / u.denominator * per
        limits = _limits(p, u.denominator, per, overdispersion, phi, tau2)
        key = "998" if outlier_limit == "99.8" else "95"
        flag = (
            "high"
            if rate > limits[f"upper{key}"]
            else "low"
            if rate < limits[f"lower{key}"]
            else ""
        )
        warning = "high" if rate > limits["upper95"] else "low" if rate < limits["lower95"] else ""
        out.points.append(
            FunnelPoint(
                key=u.key,
                observed=u.observed,
                denominator=u.denominator,
                rate=rate,
                z=z if p > 0 else None,
                flag=flag,
                warning=warning,
                **limits,
            )
        )
    return out


# --- SPC ("Making Data Count" XmR) ---------------------------------------------------------


@dataclass
class SpcPoint:
    label: str
    value: float
    special_cause: str  # "high", "low" or ""
    reason: str  # "outside the limits", "run of 7 above the mean", ...


@dataclass
class Spc:
    mean: float
    moving_range: float
    upper: float
    lower: float
    points: list[SpcPoint]


def xmr(values: Sequence[tuple[str, float]]) -> Spc | None:
    """An XmR chart of (label, value) points in time order; None for fewer than two points."""
    if len(values) < 2:
        return None
    xs = [v for _, v in values]
    mean = sum(xs) / len(xs)
    ranges = [abs(b - a) for a, b in zip(xs, xs[1:], strict=False)]
    mr = sum(ranges) / len(ranges)
    upper, lower = mean + SPC_SIGMA * mr, max(0.0, mean - SPC_SIGMA * mr)
    causes = [("", "")] * len(xs)

    # Runs: consecutive points strictly on one side of the mean (a point on it breaks the run).
    def side(x: float) -> int:
        return (x > mean) - (x < mean)

    start = 0
    for i in range(1, len(xs) + 1):
        if i < len(xs) and side(xs[i]) == side(xs[start]) and side(xs[i]) != 0:
            continue
        if side(xs[start]) != 0 and i - start >= SPC_RUN:
            direction = "high" if side(xs[start]) > 0 else "low"
            where = "above" if direction == "high" else "below"
            for j in range(start, i):
                causes[j] = (direction, f"run of {i - start} {where} the mean")
        start = i
    points = []
    for (label, value), cause in zip(values, causes, strict=True):
        if value > upper:
            cause = ("high", "above the upper process limit")
        elif value < lower:
            cause = ("low", "below the lower process limit")
        points.append(SpcPoint(label, value, *cause))
    return Spc(mean=mean, moving_range=mr, upper=upper, lower=lower, points=points)


def median_of_counts(counts: Iterable[tuple[float, int]]) -> float | None:
    """The median of values given as (value, how many times): the middle value, or the mean of
    the two middle values when the count is even."""
    pairs = sorted((v, c) for v, c in counts if c > 0)
    total = sum(c for _, c in pairs)
    if not total:
        return None
    wanted = [(total - 1) // 2, total // 2]  # 0-based positions of the middle value(s)
    found, seen = [], 0
    for value, count in pairs:
        while wanted and wanted[0] < seen + count:
            found.append(value)
            wanted.pop(0)
        seen += count
    return sum(found) / len(found)
