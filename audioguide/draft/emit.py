"""The drafted routine as YAML text, with comments where the author should check.

PyYAML (the project's YAML library) cannot write comments, so the layout is
ours and small (block mappings and sequences, flow style for one-line maps),
while every scalar and flow map is written by PyYAML itself, so quoting is
always right. The result is read back by ``routine.parse_routine`` before it
is returned (see ``draft_routine``).
"""

from __future__ import annotations

from typing import Any

import yaml

from .nodes import Node


class Flow:
    """A mapping or list written on one line: ``{count: ankle_times, tempo: rep_time}``."""

    def __init__(self, value: Any):
        self.value = value


class Block(list):
    """A block mapping: a list of (key, value) pairs in order."""


class Steps(list):
    """A list of Nodes written as a block sequence of steps."""


def scalar(value: Any) -> str:
    text = yaml.safe_dump({"k": value}, width=float("inf"), allow_unicode=True, sort_keys=False)
    return text[3:].rstrip("\n")


def flow(value: Any) -> str:
    return yaml.safe_dump(value, default_flow_style=True, width=float("inf"), allow_unicode=True,
                          sort_keys=False).rstrip("\n")


def pairs(node: Node) -> Block:
    """A step's keys in the order an author reads them."""
    f = node.fields
    if node.key == "say":
        out = Block([("say", f["say"])])
        for key in ("brief", "again"):
            if key in f:
                out.append((key, f[key]))
        if "when" in f:
            out.append(("when", Flow(f["when"])))
        for key in ("then", "ready"):
            if key in f:
                out.append((key, f[key]))
        return out
    if node.key in ("chapter",):
        return Block([("chapter", f["chapter"])])
    if node.key in ("repeat", "hold"):
        return Block([(node.key, Flow(f[node.key]))])
    if node.key == "loop":
        return Block([("loop", Block([("count", f["count"]), ("steps", Steps(node.steps))]))])
    if node.key == "for_each":
        return Block([("for_each", Block([("as", f["as"]), ("items", Flow(f["items"])),
                                          ("steps", Steps(node.steps))]))])
    if node.key == "per_side":
        return Block([("per_side", Block([("switch", Steps(node.switch)), ("steps", Steps(node.steps))]))])
    raise ValueError(f"unknown step {node.key}")


def _value_lines(key: str, value: Any, indent: int, lead: str) -> list[str]:
    """Lines for ``key: value`` where the key starts after ``lead`` (``"  - "`` or spaces)."""
    if isinstance(value, Flow):
        return [f"{lead}{key}: {flow(value.value)}"]
    if isinstance(value, Steps):
        return [f"{lead}{key}:"] + steps_lines(list(value), indent + 2)
    if isinstance(value, Block):
        return [f"{lead}{key}:"] + block_lines(value, indent + 2)
    return [f"{lead}{key}: {scalar(value)}"]


def block_lines(block: Block, indent: int) -> list[str]:
    lines: list[str] = []
    for key, value in block:
        lines += _value_lines(key, value, indent, " " * indent)
    return lines


def steps_lines(nodes: list[Node], indent: int) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    for node in nodes:
        if node.key == "chapter" and lines:
            lines.append("")
        lines += [f"{pad}# {c}" for c in node.comments]
        for k, (key, value) in enumerate(pairs(node)):
            lead = f"{pad}- " if k == 0 else f"{pad}  "
            lines += _value_lines(key, value, indent + 2, lead)
    return lines


def document(*, header: list[str], title: str, description: str, options: dict, sides: dict | None,
             settings: dict, setting_checks: dict, steps: list[Node]) -> str:
    """The whole routine file."""
    lines = [f"# {h}" if h else "#" for h in header]
    lines.append(f"title: {scalar(title)}")
    if description:
        lines.append(f"description: {scalar(description)}")
    if options:
        lines += ["", "options:"]
        lines += [f"  {name}: {flow(spec)}" for name, spec in options.items()]
    if sides:
        lines += ["", f"sides: {flow(sides)}"]
    if settings:
        lines += ["", "settings:"]
        for name, spec in settings.items():
            if name in setting_checks:
                lines.append(f"  # CHECK: {setting_checks[name]}")
            lines.append(f"  {name}: {flow(spec)}")
    lines += ["", "steps:"] + steps_lines(steps, 2)
    return "\n".join(lines) + "\n"
