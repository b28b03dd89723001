"""Russian number wording shared by every text the product writes: percentages and plurals."""

from __future__ import annotations

from fractions import Fraction


def percent(share: Fraction | float | None) -> str:
    """0.697 -> «69,7 %»; None -> «—»."""
    if share is None:
        return "—"
    return f"{float(share) * 100:.1f} %".replace(".", ",")


def plural(n: int, one: str, few: str, many: str) -> str:
    """The form of a noun after n: 1 день, 2 дня, 5 дней (11-14 take the third form)."""
    if n % 10 == 1 and n % 100 != 11:
        return one
    if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        return few
    return many


def count(n: int, one: str, few: str, many: str) -> str:
    return f"{n} {plural(n, one, few, many)}"
