"""The statistics, worked by hand: funnel limits, overdispersion, SPC, medians."""

import math
from decimal import Decimal

import pytest

from referrals.statistics import (
    Unit,
    funnel,
    median_of_counts,
    weighted_population,
    winsorise,
    xmr,
)

# Four practices, 10,000 patients and 100 referrals in all: the peer rate is 0.01 a patient
# (10 per 1,000).
UNITS = [
    Unit("A", 10, 1000),  # 10 per 1,000: on the mean
    Unit("B", 16, 2000),  # 8 per 1,000
    Unit("C", 62, 4000),  # 15.5 per 1,000
    Unit("D", 12, 3000),  # 4 per 1,000
]


def test_funnel_limits_for_a_small_case_by_hand():
    result = funnel(UNITS)
    by = {p.key: p for p in result.points}

    assert result.target == pytest.approx(10.0)
    # At 4,000 patients: s = sqrt(0.01 / 4000) = 0.0015811; 95%: 0.01 ± 1.96 s;
    # 99.8%: 0.01 ± 3.0902 s; per 1,000:
    assert by["C"].upper95 == pytest.approx(13.099, abs=0.001)
    assert by["C"].lower95 == pytest.approx(6.901, abs=0.001)
    assert by["C"].upper998 == pytest.approx(14.886, abs=0.001)
    assert by["C"].lower998 == pytest.approx(5.114, abs=0.001)
    # At 1,000 patients: s = 0.0031623; 99.8% upper = 10 + 3.0902 × 3.1623 = 19.772.
    assert by["A"].upper998 == pytest.approx(19.772, abs=0.001)
    # At 3,000: s = 0.0018257; 99.8% lower = 10 - 3.0902 × 1.8257 = 4.358.
    assert by["D"].lower998 == pytest.approx(4.358, abs=0.001)


def test_an_outlier_is_flagged_and_an_inlier_is_not():
    by = {p.key: p for p in funnel(UNITS).points}

    assert by["C"].rate == pytest.approx(15.5) and by["C"].flag == "high"
    assert by["D"].rate == pytest.approx(4.0) and by["D"].flag == "low"
    assert by["A"].flag == "" and by["A"].warning == ""
    assert by["B"].flag == "" and by["B"].warning == ""  # 8.0 within 5.62-14.38 (95%)


def test_a_95_percent_rule_flags_at_the_inner_limits():
    units = [Unit("A", 10, 1000), Unit("B", 19, 1000), Unit("C", 171, 18000)]
    by = {p.key: p for p in funnel(units, outlier_limit="95").points}
    # p = 200 / 20,000 = 0.01; at 1,000: 95% upper 16.198, 99.8% upper 19.772.
    assert by["B"].flag == "high" and by["B"].rate == pytest.approx(19.0)
    assert {p.key: p for p in funnel(units).points}["B"].flag == ""


def test_overdispersion_phi_and_tau2_by_hand():
    result = funnel(UNITS)
    # z = (y - p) / sqrt(p / n): A 0; B -0.002/0.0022361 = -0.8944; C 0.0055/0.0015811 = 3.4785;
    # D -0.006/0.0018257 = -3.2863. Four units: floor(4 × 0.1) = 0 winsorised.
    z = [0.0, -0.894427, 3.478505, -3.286335]
    phi = sum(v * v for v in z) / 4
    assert result.phi == pytest.approx(phi, rel=1e-5)  # (0.8 + 12.1 + 10.8) / 4 = 5.925
    # tau² = (k·phi - (k - 1)) / (Σw - Σw²/Σw), w = n / p.
    w = [100_000, 200_000, 400_000, 300_000]
    tau2 = (4 * phi - 3) / (sum(w) - sum(x * x for x in w) / sum(w))
    assert result.tau2 == pytest.approx(tau2, rel=1e-5)
    wide = {p.key: p for p in funnel(UNITS, overdispersion="multiplicative").points}
    s = math.sqrt(0.01 / 4000) * math.sqrt(phi)
    assert wide["C"].upper998 == pytest.approx((0.01 + 3.090232 * s) * 1000, rel=1e-5)
    assert wide["C"].flag == ""  # inside the widened limits
    additive = {p.key: p for p in funnel(UNITS, overdispersion="additive").points}
    s = math.sqrt(0.01 / 4000 + tau2)
    assert additive["C"].upper95 == pytest.approx((0.01 + 1.959964 * s) * 1000, rel=1e-5)


def test_winsorising_replaces_the_tenth_at_each_end():
    values = [5, 1, 2, 3, 4, 6, 7, 8, 9, 100]
    assert winsorise(values) == [5, 2, 2, 3, 4, 6, 7, 8, 9, 9]


def test_weighted_population_by_hand():
    bands = {"0-4": 600, "75+": 400}
    weights = {"0-4": Decimal("0.5"), "75+": Decimal("3.0")}
    assert weighted_population(bands, weights) == Decimal("1500.0")  # 300 + 1,200
    assert weighted_population(bands, None) == 1000


def test_an_xmr_chart_by_hand():
    values = [("M1", 10.0), ("M2", 12.0), ("M3", 11.0), ("M4", 13.0), ("M5", 30.0)]
    spc = xmr(values)
    # Mean 15.2; moving ranges 2, 1, 2, 17: mean 5.5; limits 15.2 ± 2.66 × 5.5 = 0.57, 29.83.
    assert spc.mean == pytest.approx(15.2)
    assert spc.moving_range == pytest.approx(5.5)
    assert spc.upper == pytest.approx(29.83)
    assert spc.lower == pytest.approx(0.57)
    assert [p.special_cause for p in spc.points] == ["", "", "", "", "high"]


def test_a_run_of_seven_on_one_side_of_the_mean_is_special_cause():
    values = [(f"M{i}", v) for i, v in enumerate([9, 9, 9, 9, 9, 9, 9, 12, 13, 12, 11, 12, 13, 12])]
    spc = xmr(values)

    assert spc.mean == pytest.approx(148 / 14)
    assert [p.special_cause for p in spc.points[:7]] == ["low"] * 7
    assert spc.points[0].reason == "run of 7 below the mean"
    assert [p.special_cause for p in spc.points[7:]] == ["high"] * 7


def test_median_of_counts():
    assert median_of_counts([(3, 1), (1, 1), (2, 1)]) == 2
    assert median_of_counts([(1, 2), (5, 2)]) == 3  # even: the mean of the middle two
    assert median_of_counts([]) is None
