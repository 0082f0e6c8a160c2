"""Money as the reports write it: 万元 from ten thousand yuan up (3000000 → 300万元), 元 below.

One formatter for the 调查报告, the 结案 record and the pages, so an amount reads the same everywhere."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

WAN = Decimal(10000)


def _plain(value: Decimal) -> str:
    """No trailing zeros, no exponent: 300, 12.5, 0.35."""
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def yuan_text(amount) -> str:
    """300万元 for 3000000, 12.35万元 for 123500, 8000元 for 8000, "" for nothing."""
    if amount in (None, ""):
        return ""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    if abs(value) >= WAN:
        return f"{_plain(value / WAN)}万元"
    return f"{_plain(value)}元"
