"""Nothing lost under bad input: every case of tests/corpus/cases.yaml through the real CLI.

Each case must exit with its code, print exactly one line on stderr that
contains its message (naming the file or flag and the place), print nothing on
stdout, show no traceback, and finish within 2 seconds. Inputs that are binary,
huge or not UTF-8 are generated here (GENERATORS) rather than committed.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import pytest
import yaml

from helpers import run_cli

CORPUS = Path(__file__).parent / "corpus"
#: Not a speed goal (those live in scripts/bench): a bound that an unexpanded alias
#: bomb or a runaway loop would blow by minutes, loose enough for a busy 2-core machine.
MAX_SECONDS = 15.0
MAX_COMMITTED_BYTES = 50_000
DEEP = "[" * 10_000 + "]" * 10_000


def _huge() -> bytes:
    """Exactly 1,200,000 bytes of plausible routine: over the 1 MB limit, under no other."""
    head = b"title: Huge\nsteps:\n"
    line = b"  - say: Breathe in, and breathe out.\n"
    body = line * ((1_200_000 - len(head)) // len(line))
    pad = 1_200_000 - len(head) - len(body)
    return head + body + b"#" * (pad - 1) + b"\n"


def _deep_loops(levels: int = 60) -> bytes:
    """A routine of ``levels`` loops, each inside the previous: plausible, and far too deep."""
    out = ["title: Deep", "steps:"]
    indent = "  "
    for _ in range(levels):
        out += [f"{indent}- loop:", f"{indent}    count: 2", f"{indent}    steps:"]
        indent += "      "
    out.append(f"{indent}- say: Hello.")
    return ("\n".join(out) + "\n").encode()


GENERATORS: dict[str, Callable[[], bytes]] = {
    "binary.yaml": lambda: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 16,
    "utf16.yaml": lambda: "title: Wide\nsteps:\n  - say: Hello.\n".encode("utf-16"),
    "huge.yaml": _huge,
    "latin1.yaml": lambda: "# Saved as Latin-1.\nartist: me\ntitle: Caf\xe9 break\nsteps:\n  - say: Hi.\n".encode("latin-1"),
    "latin1-timings.yaml": lambda: "gap: 3\nposition: caf\xe9\n".encode("latin-1"),
    "bell.yaml": lambda: b"title: Bell\nsteps:\n  - say: Ring\x07 the bell.\n",
    "deep-lists.yaml": lambda: (DEEP + "\n").encode(),
    "deep-loops.yaml": _deep_loops,
    "many-values.yaml": lambda: b"title: Many\nsteps:\n" + b"  - 1\n" * 150_000,
}


def _load_cases() -> list[dict]:
    return yaml.safe_load((CORPUS / "cases.yaml").read_text(encoding="utf-8"))["cases"]


CASES = _load_cases()


def _fill(arg: str, tmp: Path) -> str:
    return arg.replace("{corpus}", str(CORPUS)).replace("{tmp}", str(tmp)).replace("{deep}", DEEP)


def test_manifest_is_well_formed():
    assert len(CASES) >= 30
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    for case in CASES:
        assert set(case) <= {"id", "args", "exit", "message", "generate", "existing", "dirs"}, case["id"]
        assert case["exit"] in (1, 2), case["id"]
        assert case["message"] and isinstance(case["message"], str), case["id"]
        assert all(isinstance(a, str) for a in case["args"]), case["id"]
        for name in case.get("generate", []):
            assert name in GENERATORS, f"{case['id']}: no generator for {name}"


def test_every_corpus_file_is_used_and_small():
    used = " ".join(" ".join(c["args"]) for c in CASES)
    files = [p for p in CORPUS.rglob("*") if p.is_file() and p.name != "cases.yaml"]
    assert files
    for path in files:
        rel = path.relative_to(CORPUS).as_posix()
        assert "{corpus}/" + rel in used, f"{rel} is in the corpus but no case uses it"
        assert path.stat().st_size <= MAX_COMMITTED_BYTES, f"{rel}: generate big inputs at test time"


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_bad_input_fails_cleanly(case, tmp_path):
    for name in case.get("generate", []):
        (tmp_path / name).write_bytes(GENERATORS[name]())
    for name in case.get("dirs", []):
        (tmp_path / name).mkdir()
    for name in case.get("existing", []):  # an earlier output that must survive untouched
        (tmp_path / name).write_bytes(b"previous output of " + name.encode())
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    args = [_fill(a, tmp_path) for a in case["args"]]

    start = time.perf_counter()
    out = run_cli(*args, timeout=60)
    elapsed = time.perf_counter() - start

    lines = out.stderr.splitlines()
    assert out.returncode == case["exit"], out.stderr[-2000:]
    assert "Traceback" not in out.stderr
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}: {out.stderr[:2000]!r}"
    assert lines[0].startswith("audioguide: error: "), lines[0][:500]
    assert case["message"] in lines[0], lines[0][:2000]
    assert out.stdout == ""
    assert elapsed < MAX_SECONDS, f"took {elapsed:.2f} s"
    # Nothing lost, nothing half-written: the folder is as it was.
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
    for name in case.get("existing", []):
        assert (tmp_path / name).read_bytes() == b"previous output of " + name.encode()
