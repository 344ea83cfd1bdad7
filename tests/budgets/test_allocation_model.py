"""The weighted capitation model, worked by hand, including pace of change and penny rounding."""

from decimal import Decimal

import pytest

from budgets.allocation.allocation_model import Parameters, PracticeInput, pace_of_change, run_model
from consortia.errors import ApplicationError
from consortia.money import format_money, split_exactly, to_pence

D = Decimal


def test_split_exactly_gives_leftover_pennies_to_the_largest_remainders():
    # £1.00 three ways: 33.33p each, the one penny left goes to the first (ties: earliest).
    assert split_exactly(100, [1, 1, 1]) == [34, 33, 33]
    # 10p by 1:2:3 is 1.67, 3.33, 5.00 -> floors 1, 3, 5 (9p); the penny goes to 1.67.
    assert split_exactly(10, [1, 2, 3]) == [2, 3, 5]
    assert split_exactly(-100, [1, 1, 1]) == [-34, -33, -33]


@pytest.mark.parametrize(
    ("text", "pence"),
    [("1,234.56", 123456), ("£12", 1200), ("0.10", 10), (D("3.1"), 310), (5, 500)],
)
def test_money_parses_exactly(text, pence):
    assert to_pence(text) == pence


@pytest.mark.parametrize("bad", [0.1, "1.234", "twelve", "NaN"])
def test_money_refuses_floats_fractions_of_a_penny_and_nonsense(bad):
    with pytest.raises(ApplicationError):
        to_pence(bad)


def test_money_formats_for_people():
    assert format_money(123456789) == "£1,234,567.89"
    assert format_money(-5) == "-£0.05"


def test_pace_of_change_worked_by_hand():
    """Targets 13,534 / 56,391 / 30,075p; last year 300 / 300 / 300 (£900); cap 5%.

    Uplifted baseline: £1,000 split equally = 33,333.33p each -> 33,334 / 33,333 / 33,333
      (the spare penny to the first: equal remainders, earliest wins).
    Gap to target: -19,800 / +23,058 / -3,258.  Cap 5% of uplifted: 1,666 / 1,666 / 1,666.
    Capped moves: -1,666 / +1,666 / -1,666: losses 3,332 exceed gains 1,666, so the losses are
      scaled to 1,666: -833 / -833.  Proposals: 32,501 / 34,999 / 32,500 = 100,000p exactly.
    """
    steps = pace_of_change([13_534, 56_391, 30_075], [30_000, 30_000, 30_000], D(5))

    assert steps == [(33_334, -833, 32_501), (33_333, 1_666, 34_999), (33_333, -833, 32_500)]
    assert sum(p for _, _, p in steps) == 100_000


def test_no_history_goes_straight_to_target():
    assert pace_of_change([10, 20], None, D(2)) == [(10, 0, 10), (20, 0, 20)]


def test_a_small_model_run_worked_by_hand():
    """Three localities, one practice each.

    Practice a (A): 100 men 25-34, weight 1.0 -> age-weighted 100; deprivation 10.
    Practice b (B): 100 women 75+, weight 3.0 -> 300; deprivation 30.
    Practice c (C): 200 men 25-34 -> 200; deprivation 20.
    Mean deprivation, population-weighted: (100×10 + 100×30 + 200×20) / 400 = 20.
    Need index (weight 0.5): a 1 + 0.5×(10-20)/20 = 0.75; b 1.25; c 1.
    Sparsity A 1.2, MFF 1 everywhere.  Weighted: A 100×0.75×1.2 = 90; B 300×1.25 = 375; C 200.
    Total 665.  Line X, £1,000: targets 100,000 × 90/665 = 13,533.83; × 375/665 = 56,390.98;
      × 200/665 = 30,075.19 -> floors 13,533 / 56,390 / 30,075 (99,998p); the two pennies go to
      the largest remainders (.98 then .83): 13,534 / 56,391 / 30,075.
    Pace of change as in the test above -> 32,501 / 34,999 / 32,500; change from last year's
      30,000: +2,501 / +4,999 / +2,500.
    Collective line Y, £100: stakes 1,353.38 / 5,639.10 / 3,007.52 -> 1,353 / 5,639 / 3,008.
    Memorandum line Z, £4: by registered population 100:100:200 -> 100 / 100 / 200.
    """
    result = run_model(
        practices=[
            PracticeInput("a", "A", {("M", "25-34"): 100}, D(10)),
            PracticeInput("b", "B", {("F", "75+"): 100}, D(30)),
            PracticeInput("c", "C", {("M", "25-34"): 200}, D(20)),
        ],
        parameters=Parameters(
            age_weights={"M": {"25-34": D(1)}, "F": {"75+": D(3)}},
            need_weight=D("0.5"),
            market_forces={},
            sparsity={"A": D("1.2")},
            pace_of_change_percent=D(5),
        ),
        envelopes={"X": 100_000, "Y": 10_000, "Z": 400},
        line_categories={"X": "delegated", "Y": "collective", "Z": "memorandum"},
        baselines={("A", "X"): 30_000, ("B", "X"): 30_000, ("C", "X"): 30_000},
        localities=["A", "B", "C"],
    )
    a, b, c = (result.localities[k] for k in "ABC")

    assert [p.need_index for p in result.practices] == [D("0.75"), D("1.25"), D(1)]
    assert (a.weighted, b.weighted, c.weighted) == (D(90), D(375), D(200))
    assert a.share == D(90) / D(665)
    assert sum(r.share for r in (a, b, c)) == pytest.approx(D(1), abs=D("1e-25"))
    assert [r.lines["X"].target for r in (a, b, c)] == [13_534, 56_391, 30_075]
    assert [r.lines["X"].proposal for r in (a, b, c)] == [32_501, 34_999, 32_500]
    assert [r.lines["X"].proposal - r.lines["X"].baseline for r in (a, b, c)] == [
        2_501,
        4_999,
        2_500,
    ]
    assert [r.lines["Y"].proposal for r in (a, b, c)] == [1_353, 5_639, 3_008]
    assert [r.lines["Z"].proposal for r in (a, b, c)] == [100, 100, 200]
    for line, envelope in {"X": 100_000, "Y": 10_000, "Z": 400}.items():
        assert sum(r.lines[line].proposal for r in (a, b, c)) == envelope
