"""Amounts computed from settings: ``"box_side * 2"``, ``"(inhale + exhale) / 2"``.

A routine may give any duration or count as an expression of setting names
and numbers with ``+ - * /`` and parentheses. This module is a small
recursive-descent parser for exactly that grammar (never ``eval``)::

    expression := term (("+" | "-") term)*
    term       := factor (("*" | "/") factor)*
    factor     := NUMBER | NAME | "(" expression ")" | ("+" | "-") factor

NAME is a lowercase setting name (``box_side``); NUMBER is a plain decimal
with an optional exponent (``2``, ``0.5``, ``1e3``), read by ``text.read_number``
like every number a person types (``0x10`` is refused there). Parsing raises
``ExpressionError`` with the column of the problem; the routine loader turns it
into a located ``file:line`` message.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from typing import Callable, Mapping, Union

from .text import read_number

#: At most this many characters: an amount is a short formula, not a program.
MAX_CHARS = 200
#: Nesting of parentheses and signs; deeper is a typo (and would exhaust the stack).
MAX_DEPTH = 20

# A number token runs on through letters and dots, so that 0x10 or 1e3 is read (or refused) whole.
_TOKEN = re.compile(r"\s*(?:(?P<number>\.?\d(?:[\w.]|(?<=[eE])[-+])*)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>[-+*/()]))")
_OPS: dict[str, Callable[[float, float], float]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
}


class ExpressionError(ValueError):
    """An expression cannot be read or computed; the message says what and where (column from 1)."""


@dataclass(frozen=True)
class Number:
    value: float


@dataclass(frozen=True)
class Name:
    name: str


@dataclass(frozen=True)
class Negate:
    operand: "Node"


@dataclass(frozen=True)
class BinOp:
    op: str
    left: "Node"
    right: "Node"


Node = Union[Number, Name, Negate, BinOp]


@dataclass(frozen=True)
class Expression:
    """A parsed amount: its source ``text``, its syntax ``tree`` and the setting ``names`` it reads.

    The routine loader fills in the rest: ``where`` (``file:line: path`` of the
    amount, for messages about values computed later, after ``--set box_side=0``),
    the ``unit`` it must have (``seconds`` or ``count``) and its lowest value ``lo``.
    """

    text: str
    tree: Node
    names: tuple[str, ...]
    where: str = ""
    unit: str = "seconds"
    lo: float = 0

    def evaluate(self, values: Mapping[str, float]) -> float:
        """The value with settings ``values`` (name -> number); ExpressionError on division by zero."""
        return _evaluate(self.tree, values)

    def __str__(self) -> str:
        return self.text


def parse(text: str) -> Expression:
    """Parse ``text``; ExpressionError names the column and what was expected there."""
    if len(text) > MAX_CHARS:
        raise ExpressionError(f"is {len(text)} characters; an amount is at most {MAX_CHARS}")
    tokens = _tokenize(text)
    parser = _Parser(text, tokens)
    tree = parser.expression(0)
    if parser.pos < len(tokens):
        kind, value, column = tokens[parser.pos]
        raise ExpressionError(f"unexpected {_describe(kind, value)} at column {column}")
    names = tuple(dict.fromkeys(_names(tree)))
    return Expression(" ".join(text.split()), tree, names)


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    tokens, pos = [], 0
    stripped = text.rstrip()
    while pos < len(stripped):
        match = _TOKEN.match(stripped, pos)
        if not match:
            column = pos + 1 + (len(stripped[pos:]) - len(stripped[pos:].lstrip()))
            raise ExpressionError(
                f"cannot read {stripped[column - 1]!r} at column {column}: "
                "use setting names, numbers, + - * / and parentheses"
            )
        kind = match.lastgroup or "op"
        if kind == "number":
            try:
                number = read_number(match.group(kind))
            except ValueError as exc:
                raise ExpressionError(f"{exc} (column {match.start(kind) + 1})") from None
            if isinstance(number, str):
                raise ExpressionError(f"cannot read {number!r} at column {match.start(kind) + 1}: not a number")
        tokens.append((kind, match.group(kind), match.start(kind) + 1))
        pos = match.end()
    if not tokens:
        raise ExpressionError("is empty: give a number, a setting's name or an expression like \"hold * 2\"")
    return tokens


def _describe(kind: str, value: str) -> str:
    return {"number": f"number {value}", "name": f"name {value!r}"}.get(kind, f"{value!r}")


class _Parser:
    def __init__(self, text: str, tokens: list[tuple[str, str, int]]):
        self.text, self.tokens, self.pos = text, tokens, 0

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take_op(self, ops: str) -> str | None:
        token = self.peek()
        if token and token[0] == "op" and token[1] in ops:
            self.pos += 1
            return token[1]
        return None

    def expression(self, depth: int) -> Node:
        node = self.term(depth)
        while (op := self.take_op("+-")) is not None:
            node = BinOp(op, node, self.term(depth))
        return node

    def term(self, depth: int) -> Node:
        node = self.factor(depth)
        while (op := self.take_op("*/")) is not None:
            node = BinOp(op, node, self.factor(depth))
        return node

    def factor(self, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise ExpressionError(f"is nested more than {MAX_DEPTH} levels deep")
        token = self.peek()
        if token is None:
            raise ExpressionError("ends too early: expected a number, a setting's name or '(' at the end")
        kind, value, column = token
        self.pos += 1
        if kind == "number":
            return Number(float(value))
        if kind == "name":
            return Name(value)
        if value in "+-":
            operand = self.factor(depth + 1)
            return operand if value == "+" else Negate(operand)
        if value == "(":
            inner = self.expression(depth + 1)
            if self.take_op(")") is None:
                found = self.peek()
                where = f"found {_describe(found[0], found[1])} at column {found[2]}" if found else "reached the end"
                raise ExpressionError(f"the '(' at column {column} is not closed: {where}")
            return inner
        raise ExpressionError(f"expected a number, a setting's name or '(' at column {column}, got {value!r}")


def _names(node: Node):
    if isinstance(node, Name):
        yield node.name
    elif isinstance(node, Negate):
        yield from _names(node.operand)
    elif isinstance(node, BinOp):
        yield from _names(node.left)
        yield from _names(node.right)


def _evaluate(node: Node, values: Mapping[str, float]) -> float:
    if isinstance(node, Number):
        return node.value
    if isinstance(node, Name):
        return float(values[node.name])
    if isinstance(node, Negate):
        return -_evaluate(node.operand, values)
    left, right = _evaluate(node.left, values), _evaluate(node.right, values)
    if node.op == "/" and right == 0:
        raise ExpressionError("divides by zero")
    return _OPS[node.op](left, right)
