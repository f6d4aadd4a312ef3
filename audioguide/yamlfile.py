"""Safe YAML reading that remembers where each value came from.

Routines and timings files are small, hand-written documents. We parse them
with PyYAML's safe loader, refuse aliases outright (an alias bomb is then
rejected at the first ``*``, before any expansion), refuse documents nested
deeper or holding more values than any routine needs (PyYAML's composer is
recursive and slow: 10,000 nested ``[`` would end in a RecursionError, a
megabyte of values takes many seconds) and keep the line of every node so that
errors can say ``foot.yaml:42: steps[3].hold: ...``. Numbers follow the one
rule of ``text.read_number``: only plain decimals (``10``, ``2.5``, ``1e1``)
are read as numbers here; YAML 1.1's other forms (``0x10``, ``010``, ``1_0``,
``1:30``) stay text, which ``read_number`` reads as a duration or refuses. Of an unquoted value we
also keep what YAML does not: the text as written when YAML read it as a number
or true/false (``1.10`` is 1.1, ``yes`` is true), and a comment right after it on its
line (``say: Now do set #2`` ends at ``set``), for ``audioguide check``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from .files import read_bounded
from .text import DECIMAL, oneline

#: Routines and timings are a few KB; anything this big is a mistake, not a routine.
MAX_BYTES = 1_000_000
#: The bundled foot massage nests 13 levels and holds about 600 values.
MAX_DEPTH = 50
MAX_NODES = 20_000
#: Integers beyond this are typos (and Python cannot print ints over 4300 digits).
MAX_INT = 10**100


class _NoAliasLoader(yaml.SafeLoader):
    depth = 0
    nodes = 0

    def compose_node(self, parent, index):  # noqa: D401 - PyYAML hook
        if self.check_event(AliasEvent):
            event = self.peek_event()
            raise yaml.MarkedYAMLError(
                problem="aliases (*name) are not allowed", problem_mark=event.start_mark
            )
        self.nodes += 1
        if self.depth >= MAX_DEPTH or self.nodes > MAX_NODES:
            problem = (f"nested more than {MAX_DEPTH} levels deep" if self.depth >= MAX_DEPTH
                       else f"more than {MAX_NODES:,} values; a routine has a few hundred")
            raise yaml.MarkedYAMLError(problem=problem, problem_mark=self.peek_event().start_mark)
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


_INT, _FLOAT = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
# YAML 1.1's number resolvers go; plain decimals (with an exponent too, which 1.1 reads as text) come back.
_NoAliasLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag not in (_INT, _FLOAT)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_NoAliasLoader.add_implicit_resolver(_INT, re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), list("-+0123456789"))
_NoAliasLoader.add_implicit_resolver(_FLOAT, re.compile(f"^(?:{DECIMAL.pattern})$"), list("-+.0123456789"))


@dataclass
class Document:
    """Plain data from a YAML file plus the line of each value, keyed by path."""

    data: Any
    display: str
    """How to name the file in messages."""
    lines: dict[str, int]
    """``"steps[3].hold"`` -> 1-based line number."""
    flow: set[str] = field(default_factory=set)
    """Paths of mappings written inline as ``{...}`` (where a comma ends text)."""
    written: dict[str, str] = field(default_factory=dict)
    """Unquoted values YAML read as a number, true/false or a date: path -> the text as written (``"1:30"``)."""
    comments: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Unquoted values with a comment after them on their line: path -> (the value's text, ``"  # the rest"``)."""

    def where(self, path: str) -> str:
        """``file:line: path`` for messages (the line of the nearest known parent)."""
        probe = path
        while probe and probe not in self.lines:
            probe = probe.rsplit(".", 1)[0] if "." in probe else probe.rsplit("[", 1)[0]
            if probe == path:
                break
        line = self.lines.get(probe) or self.lines.get("")
        head = f"{self.display}:{line}" if line else self.display
        return f"{head}: {path}" if path else head


def read_text(path: Path, display: str, error: type[Exception]) -> str:
    """The file's text, or ``error`` with one line saying why it cannot be read."""
    display = oneline(display)
    raw = read_bounded(path, display, error, MAX_BYTES, "a YAML file")
    if len(raw) > MAX_BYTES:
        size = path.stat().st_size if path.is_file() else 0
        shown = f"file is {size:,} bytes" if size > MAX_BYTES else f"more than {MAX_BYTES:,} bytes"
        raise error(f"{display}: {shown}; the limit is {MAX_BYTES:,}")
    return decode(raw, display, error)


def decode(raw: bytes, display: str, error: type[Exception]) -> str:
    """Bytes (a file's or an upload's) as YAML text: at most ``MAX_BYTES``, no NUL, UTF-8; else one ``error`` line."""
    display = oneline(display)
    if len(raw) > MAX_BYTES:
        raise error(f"{display}: more than {MAX_BYTES:,} bytes; the limit is {MAX_BYTES:,}")
    if b"\x00" in raw:
        raise error(f"{display}: is a binary file, not YAML text")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise error(f"{display}:{line}: not valid UTF-8 text (byte {exc.start})") from None


def parse(text: str, display: str, error: type[Exception]) -> Document:
    """Parse YAML ``text`` into a Document; any YAML problem becomes one ``error`` line."""
    display = oneline(display)
    try:
        loader = _NoAliasLoader(text)  # the reader refuses control characters right here
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        raise error(f"{display}:{line}: invalid YAML: character #x{exc.character:04x} is not allowed") from None
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark else ""
        what = exc.problem or exc.context or "invalid YAML"
        if exc.context and what.startswith("but "):  # "but found another document" needs its first half
            what = f"{exc.context}, {what}"
        source = text.splitlines()[mark.line] if mark and mark.line < len(text.splitlines()) else ""
        raise error(oneline(f"{display}{line}: invalid YAML: {what}{hint(exc, source)}")) from None
    except yaml.YAMLError as exc:
        raise error(oneline(f"{display}: invalid YAML: {exc}")) from None
    finally:
        loader.dispose()
    doc = Document(None, display, {})
    if node is None:
        return doc
    try:
        doc.data = _build(node, "", doc, loader, text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = f":{mark.line + 1}" if mark else ""
        raise error(oneline(f"{display}{line}: invalid YAML: {exc.problem}")) from None
    return doc


#: ``key: value`` on one line of block YAML, with the list dash if any.
_KEY_VALUE = re.compile(r"^(?P<lead>\s*(?:-\s+)?)(?P<key>[A-Za-z_][\w-]*):\s+(?P<value>.*?)\s*$")


def hint(exc: yaml.MarkedYAMLError, line: str) -> str:
    """What to do about the YAML mistakes people make most in routines (``""`` when unsure).

    A tab; a colon and a space inside text (``say: Note: breathe``); text that
    starts with a placeholder (``chapter: {Side} hand``, read as a mapping); a
    comma, colon or brace inside text in a ``{...}`` flow mapping.
    """
    problem, context = exc.problem or "", exc.context or ""
    if "'\\t'" in problem:
        return " (a tab: YAML indents with spaces only; replace the tab with spaces)"
    match = _KEY_VALUE.match(line)
    if "flow mapping" in context or "flow sequence" in context:
        return (" (inside {...} or [...] a comma, a colon or a brace ends the text: put such text in quotes, "
                'like {say: "Stretch, slowly.", then: 3}, or write the step on its own lines)')
    if match and match.group("value").startswith("{") and "block end" in problem:
        return (" (a value that starts with { is read as a mapping: put the whole text in quotes, "
                f"{match.group('key')}: {quote(match.group('value'))})")
    if match and match.group("value")[:1] in "\"'" and "block end" in problem:
        return (" (text that starts with a quote must end with it: quote the whole text, "
                f"{match.group('key')}: {quote(match.group('value'))})")
    if match and "mapping values are not allowed" in problem and ": " in match.group("value") + " ":
        return (" (a colon and a space inside text start a new key: put the text in quotes, "
                f"{match.group('key')}: {quote(match.group('value'))})")
    return ""


def quote(text: str) -> str:
    """``text`` as a YAML double-quoted scalar (backslashes and quotes escaped)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def load(path: Path, display: str, error: type[Exception]) -> Document:
    return parse(read_text(path, display, error), display, error)


#: Blanks and a comment to the end of the line, right after a value.
_COMMENT_AFTER = re.compile(r"[ \t]+#[^\r\n\x85\u2028\u2029]*")


def _build(node, path: str, doc: Document, loader, text: str) -> Any:
    doc.lines[path] = node.start_mark.line + 1
    if isinstance(node, MappingNode):
        if node.flow_style:
            doc.flow.add(path)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                raise yaml.MarkedYAMLError(problem="keys must be plain names", problem_mark=key_node.start_mark)
            if key_node.tag == "tag:yaml.org,2002:merge":  # checked first: constructing it fails cryptically
                raise yaml.MarkedYAMLError(problem="merge keys (<<) are not allowed", problem_mark=key_node.start_mark)
            key = _scalar(key_node, loader)
            if key in out:
                raise yaml.MarkedYAMLError(problem=f"duplicate key {key!r}", problem_mark=key_node.start_mark)
            child = f"{path}.{key}" if path else str(key)
            out[key] = _build(value_node, child, doc, loader, text)
            doc.lines[child] = key_node.start_mark.line + 1  # "where is tender_hold" means the key's line
        return out
    if isinstance(node, SequenceNode):
        return [_build(v, f"{path}[{i}]", doc, loader, text) for i, v in enumerate(node.value)]
    value = _scalar(node, loader)
    if node.style is None:  # unquoted: YAML may have read it as something else, or cut it at a " #"
        if value is not None and not isinstance(value, str):
            doc.written[path] = node.value
        comment = _COMMENT_AFTER.match(text, node.end_mark.index)
        if comment:
            doc.comments[path] = (node.value, comment.group(0).rstrip())
    return value


def _scalar(node, loader) -> Any:
    """Construct a scalar; a value its tag cannot read (``!!int abc``) is a YAML error, not a crash."""
    try:
        value = loader.construct_object(node, deep=True)
    except yaml.MarkedYAMLError:
        raise
    except Exception:  # PyYAML's safe constructors let ValueError, KeyError ... escape
        tag = node.tag.replace("tag:yaml.org,2002:", "!!")
        raise yaml.MarkedYAMLError(
            problem=f"cannot read {str(node.value)[:40]!r} as {tag}", problem_mark=node.start_mark
        ) from None
    if isinstance(value, int) and not -MAX_INT < value < MAX_INT:
        raise yaml.MarkedYAMLError(problem="number too large", problem_mark=node.start_mark)
    return value
