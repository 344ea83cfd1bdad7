"""Money is one type: integer pence. This module parses, rounds and formats it.

Floats are refused at the boundary (0.1 + 0.2 is not 0.3). Pounds in text or Decimal are
converted exactly; a value with fractions of a penny is refused unless the caller asks for
rounding, which is always ROUND_HALF_UP (the rule finance staff expect from Excel's ROUND).
Allocations that must add up to a total use `split_exactly` (largest remainder).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .errors import ApplicationError

Pence = int
PENNY = Decimal("0.01")


def to_pence(
    value: str | Decimal | int, *, field: str = "amount", round_half_up: bool = False
) -> Pence:
    """Pounds ("1,234.56", "£12", Decimal("3.10"), 5) -> pence. Floats are refused."""
    if isinstance(value, bool | float):
        raise ApplicationError(
            f"{field}: give money as text or Decimal, not a float.", extra={"field": field}
        )
    if isinstance(value, int):
        return value * 100
    text = str(value).strip().replace(",", "").replace("£", "")
    try:
        pounds = Decimal(text)
    except InvalidOperation as exc:
        raise ApplicationError(
            f"{field}: '{value}' is not an amount of money.", extra={"field": field}
        ) from exc
    if not pounds.is_finite():
        raise ApplicationError(
            f"{field}: '{value}' is not an amount of money.", extra={"field": field}
        )
    pence = pounds * 100
    if pence != pence.to_integral_value():
        if not round_half_up:
            raise ApplicationError(
                f"{field}: '{value}' has fractions of a penny.", extra={"field": field}
            )
        pence = pence.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(pence)


def round_pence(value: Decimal) -> Pence:
    """An exact Decimal amount of pence rounded half up to a whole penny."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_pounds(pence: Pence) -> Decimal:
    return (Decimal(pence) / 100).quantize(PENNY)


def format_money(pence: Pence | None, *, sign: bool = False) -> str:
    """1234567 -> "£12,345.67"; negatives as "-£12.00"; None as an em dash."""
    if pence is None:
        return "—"
    pounds = to_pounds(abs(pence))
    text = f"£{pounds:,.2f}"
    if pence < 0:
        return "-" + text
    return ("+" + text) if sign and pence > 0 else text


def split_exactly(total: Pence, weights: Sequence[Decimal | int]) -> list[Pence]:
    """Split `total` pence in proportion to `weights` so the parts sum to `total` exactly.

    Largest remainder: each part is first rounded down; the pennies left over go one each to the
    parts with the largest fractional remainders (ties to the earlier part). Stated and tested,
    because GPs will add the column up.
    """
    if total < 0:
        return [-part for part in split_exactly(-total, weights)]
    weights = [Decimal(w) for w in weights]
    weight_sum = sum(weights)
    if not weights or weight_sum <= 0:
        raise ApplicationError("Cannot split money across nothing.")
    if any(w < 0 for w in weights):
        raise ApplicationError("Weights to split money must not be negative.")
    exact = [Decimal(total) * w / weight_sum for w in weights]
    parts = [int(x.to_integral_value(rounding="ROUND_FLOOR")) for x in exact]
    left = total - sum(parts)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[:left]:
        parts[i] += 1
    return parts
