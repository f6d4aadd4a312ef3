"""Amounts: every duration (seconds) and count in a routine, and their checks.

An amount is a literal number, the name of a declared setting, or an
expression of settings and numbers (``"box_side * 2"``, parsed by
``expressions.py``). Literals and setting defaults are checked when a routine
loads; an expression is checked at the defaults when it loads and again with
the values a session sets (``--set box_side=2``), each time with a message that
names its place.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping, Union

from . import expressions
from .expressions import Expression, ExpressionError
from .text import did_you_mean, fmt_number, read_number, show

UNITS = {"seconds", "count"}
#: Hard limits for any value, declared or computed: beyond these it is a typo.
LIMITS = {"seconds": (0.0, 3600.0), "count": (0, 1000)}

#: A duration or count: the name of a declared setting, a literal number, or an
#: expression of settings and numbers (``"box_side * 2"``).
Amount = Union[str, float, int, Expression]


def check_amount(value: Any, unit: str, lo: float, hi: float, *, shown: str | None = None) -> float | int:
    """Validate a number of ``unit`` within ``lo..hi``; ValueError explains why not.

    Text is read by the one rule (``text.read_number``: ``1e1``, and ``1:30``
    for seconds) and shown as typed; ``shown`` is how a computed value is shown.
    """
    span = f"{fmt_number(lo)}..{fmt_number(hi)} {'seconds' if unit == 'seconds' else ''}".rstrip()
    typed = value
    value = read_number(value, unit)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        kind = "a whole number" if unit == "count" else "a number of seconds"
        raise ValueError(f"must be {kind} ({span}), got {show(value)}")
    got = shown or show(typed.strip() if isinstance(typed, str) else typed)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"must be {span}, got {got}")
    if unit == "count":
        if value != int(value):
            raise ValueError(f"must be a whole number ({span}), got {got}")
        value = int(value)
    if not lo <= value <= hi:
        raise ValueError(f"must be {span}, got {got}")
    return value if unit == "count" else float(value)


def parse_expression(text: str, settings: Mapping[str, Any], options: Mapping[str, Any], *,
                     unit: str, lo: float, where: str) -> Expression:
    """An expression amount read from a routine: parsed, its names checked, its value at the defaults in range.

    ``settings`` maps names to specs with a ``default``; ``options`` only serve
    a better message. ``where`` (``file:line: path``) is kept for messages about
    values set later. ValueError has the message, without the place.
    """
    try:
        expr = expressions.parse(text)
    except ExpressionError as exc:
        raise ValueError(f"cannot read {text!r}: {exc}") from None
    for name in expr.names:
        if name not in settings:
            what = "an option, not a setting" if name in options else "not a setting"
            raise ValueError(f"{name!r} in {expr.text!r} is {what}{did_you_mean(name, tuple(settings))}")
    expr = replace(expr, where=where, unit=unit, lo=lo)
    try:
        check_computed(expr, {k: spec.default for k, spec in settings.items()})
    except ValueError as exc:
        raise ValueError(f"{exc} with the default settings") from None
    return expr


def check_computed(expr: Expression, values: Mapping[str, float]) -> float | int:
    """``expr``'s value for settings ``values`` in its unit (a count is rounded to the nearest
    whole number); ValueError says why it is out of range (``expr.lo`` .. the unit's hard limit)."""
    try:
        value = expr.evaluate(values)
    except ExpressionError as exc:
        raise ValueError(f"{expr.text!r} {exc}") from None
    if expr.unit == "count":
        value = int(value + 0.5) if value >= 0 else -int(-value + 0.5)
    try:
        return check_amount(value, expr.unit, expr.lo, LIMITS[expr.unit][1], shown=fmt_number(value))
    except ValueError as exc:
        raise ValueError(f"{expr.text!r} {str(exc).replace('got', 'is')}") from None
