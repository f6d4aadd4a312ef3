"""What is at an output path: a symbolic link is written through, anything that is not a regular
file (a named pipe, a device, a socket, /dev/stdout) is refused before any work. Real files, the real CLI."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
from pathlib import Path

import pytest

from helpers import BIN, TINY_ROUTINE, run_cli

GUIDE = Path(__file__).parent / "data" / "guides" / "hand-massage.txt"


@pytest.fixture
def tiny(tmp_path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY_ROUTINE)
    return path


def export(tiny: Path, out: str | Path, *extra: str, cwd: Path | None = None, **kwargs):
    return run_cli("export", str(tiny), "--engine", "pyttsx3", "-o", str(out), *extra, cwd=cwd, **kwargs)


def one_error(run, code: int = 2) -> str:
    """The single stderr line of a failed run, without its prefix."""
    assert run.returncode == code, run.stderr
    assert run.stdout == "" and "Traceback" not in run.stderr
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("audioguide: error: ")
    return lines[0][len("audioguide: error: "):]


def listing(folder: Path) -> dict[str, str]:
    """Every entry of ``folder``: its kind and, for files, its bytes (to see that nothing changed)."""
    out = {}
    for p in sorted(folder.iterdir()):
        mode = p.lstat().st_mode
        out[p.name] = (f"link to {os.readlink(p)}" if stat.S_ISLNK(mode) else
                       p.read_bytes().hex() if stat.S_ISREG(mode) else stat.filemode(mode)[0])
    return out


def nothing_synthesized(cache: Path) -> bool:
    return not [p for p in cache.rglob("*") if p.is_file()]


# -- symbolic links: written through --------------------------------------------


def test_export_through_a_symbolic_link_replaces_its_target_and_keeps_the_link(tiny, tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (real / "target.mp3").write_bytes(b"old contents")
    out = tmp_path / "out"
    out.mkdir()
    (out / "link.mp3").symlink_to("../real/target.mp3")  # relative, as `ln -s` makes them
    run = export(tiny, out / "link.mp3")
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [str(out / "link.mp3"), str(out / "link.vtt"), str(out / "link.json")]
    assert (out / "link.mp3").is_symlink() and os.readlink(out / "link.mp3") == "../real/target.mp3"
    audio = (real / "target.mp3").read_bytes()
    assert audio.startswith(b"ID3") and len(audio) > 10_000  # the new MP3, not the old bytes
    # The sidecars go beside the path the user named; the target's folder gets nothing else.
    assert sorted(p.name for p in out.iterdir()) == ["link.json", "link.mp3", "link.vtt"]
    assert not (out / "link.vtt").is_symlink() and (out / "link.vtt").read_text().startswith("WEBVTT")
    assert sorted(p.name for p in real.iterdir()) == ["target.mp3"]


def test_a_dangling_link_makes_its_target_and_a_link_loop_is_one_line(tiny, tmp_path):
    (tmp_path / "new.wav").symlink_to(tmp_path / "made" / "later.wav")
    run = export(tiny, tmp_path / "new.wav")
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "new.wav").is_symlink() and (tmp_path / "made" / "later.wav").read_bytes()[:4] == b"RIFF"
    (tmp_path / "a.mp3").symlink_to("b.mp3")
    (tmp_path / "b.mp3").symlink_to("a.mp3")
    assert one_error(export(tiny, tmp_path / "a.mp3")) == \
        f"{tmp_path / 'a.mp3'}: cannot be used: Too many levels of symbolic links"


def test_links_that_make_two_files_of_the_set_one_are_refused(tiny, tmp_path, isolated_cache):
    (tmp_path / "s.vtt").symlink_to("s.mp3")
    assert one_error(export(tiny, tmp_path / "s.mp3")) == \
        f"{tmp_path / 's.mp3'}: the audio would overwrite its own .vtt sidecar"
    (tmp_path / "s.vtt").unlink()
    (tmp_path / "s.vtt").symlink_to("s.json")
    assert one_error(export(tiny, tmp_path / "s.mp3")) == \
        f"{tmp_path / 's.vtt'}: leads to the same file as {tmp_path / 's.json'}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.vtt", "tiny.yaml"]
    assert nothing_synthesized(isolated_cache)


def test_draft_force_through_a_symbolic_link_replaces_its_target(tmp_path):
    (tmp_path / "mine.yaml").write_text("# my routine\n")
    (tmp_path / "link.yaml").symlink_to("mine.yaml")
    refused = run_cli("draft", str(GUIDE), "-o", "link.yaml", cwd=tmp_path)
    assert one_error(refused) == "link.yaml: already exists; add --force to replace it"
    forced = run_cli("draft", str(GUIDE), "-o", "link.yaml", "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert os.readlink(tmp_path / "link.yaml") == "mine.yaml"
    assert "title: Self hand massage" in (tmp_path / "mine.yaml").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.yaml", "mine.yaml"]


# -- not regular files: refused, before any speech ---------------------------------------


def make_fifo(path: Path) -> None:
    os.mkfifo(path)


def make_device(path: Path) -> None:
    # Our own character device (the null device's numbers), so an export that wrote over it harms nothing.
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("mknod needs root")


def make_socket(path: Path) -> None:
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))
    sock.close()  # the socket file stays


@pytest.mark.parametrize("make, kind", [(make_fifo, "a named pipe (FIFO)"), (make_device, "a character device"),
                                        (make_socket, "a socket")])
@pytest.mark.parametrize("suffix", [".mp3", ".vtt", ".json"])
def test_a_file_that_is_not_regular_at_any_of_the_three_paths_is_refused_before_any_work(
        tiny, tmp_path, isolated_cache, make, kind, suffix):
    out = tmp_path / "out"
    out.mkdir()
    for name in ("s.mp3", "s.vtt", "s.json"):
        (out / name).write_text(f"previous {name}")
    (out / f"s{suffix}").unlink()
    make(out / f"s{suffix}")
    before = listing(out)
    run = export(tiny, out / "s.mp3")
    assert one_error(run) == f"{out / f's{suffix}'}: is {kind}, not a regular file; give another name"
    assert listing(out) == before
    assert nothing_synthesized(isolated_cache)


def test_a_link_to_a_named_pipe_is_refused_and_both_stay(tiny, tmp_path, isolated_cache):
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "s.ogg").symlink_to("pipe")
    assert one_error(export(tiny, tmp_path / "s.ogg")) == \
        f"{tmp_path / 's.ogg'}: is a named pipe (FIFO), not a regular file; give another name"
    assert (tmp_path / "s.ogg").is_symlink() and stat.S_ISFIFO((tmp_path / "pipe").stat().st_mode)
    assert nothing_synthesized(isolated_cache)


@pytest.mark.parametrize("stdout", ["pipe", "file"])
def test_standard_output_by_its_dev_name_is_refused_whatever_it_is(tiny, tmp_path, isolated_cache, stdout):
    """/dev/stdout is a link to /proc/self/fd/1; when that is a regular file (a redirect), writing through
    it would replace the user's file and put sidecars in /dev. Our own link to it stands in for /dev/stdout,
    so that an export that wrote over it (a regression) harms only this test's folder, not the machine's /dev."""
    (tmp_path / "stdout.mp3").symlink_to("/proc/self/fd/1")
    redirect = tmp_path / "redirect.txt"
    with open(redirect, "w") as sink:
        run = subprocess.run([str(BIN / "audioguide"), "export", str(tiny), "--engine", "pyttsx3",
                              "-o", str(tmp_path / "stdout.mp3")],
                             stdout=subprocess.PIPE if stdout == "pipe" else sink, stderr=subprocess.PIPE, text=True)
    lines = run.stderr.splitlines()
    assert run.returncode == 2 and len(lines) == 1, run.stderr
    assert lines[0] == (f"audioguide: error: {tmp_path / 'stdout.mp3'}: leads into /proc (standard output or "
                        "another open file descriptor), not to a file; give a file name")
    assert (tmp_path / "stdout.mp3").is_symlink() and redirect.read_text() == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["redirect.txt", "stdout.mp3", "tiny.yaml"]
    assert nothing_synthesized(isolated_cache)


def test_dash_and_an_empty_path_ask_for_a_file_name(tiny, tmp_path, isolated_cache):
    assert one_error(export(tiny, "-", cwd=tmp_path)) == \
        "-: audio cannot go to standard output; give a file name (like session.mp3)"
    for empty in ("", "  ", "\t"):
        assert one_error(export(tiny, empty, "--format", "mp3", cwd=tmp_path)) == \
            "the output path is empty; give a file name (like session.mp3)"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.yaml"]
    assert nothing_synthesized(isolated_cache)


def test_draft_refuses_what_is_not_a_regular_file_even_with_force(tmp_path):
    os.mkfifo(tmp_path / "r.yaml")
    run = run_cli("draft", str(GUIDE), "-o", "r.yaml", "--force", cwd=tmp_path)
    assert one_error(run) == "r.yaml: is a named pipe (FIFO), not a regular file; give another name"
    assert stat.S_ISFIFO((tmp_path / "r.yaml").lstat().st_mode)
    assert one_error(run_cli("draft", str(GUIDE), "-o", "-", cwd=tmp_path)) == \
        "-: give a file name; without -o the routine is printed to standard output"
    for empty in ("", "  ", "\t"):  # blanks are no name either (they made a file named two spaces)
        assert one_error(run_cli("draft", str(GUIDE), "-o", empty, cwd=tmp_path)) == \
            "the output path is empty; give a file name (like routine.yaml)"
    (tmp_path / "stderr.yaml").symlink_to("/proc/self/fd/2")  # stands in for /dev/stderr (see above)
    assert one_error(run_cli("draft", str(GUIDE), "-o", "stderr.yaml", "--force", cwd=tmp_path)).startswith(
        "stderr.yaml: leads into /proc")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.yaml", "stderr.yaml"]
    assert (tmp_path / "stderr.yaml").is_symlink()


# -- names too long for the file system; what is there comes before the suffix ------------------


def test_a_name_near_the_limit_is_written_and_its_temp_files_fit(tiny, tmp_path):
    """255 bytes is ext4's and tmpfs's limit: the hidden temp names (``.NAME.PID.RANDOM.part``, and the
    m4b's ``-aac`` one) shorten NAME so that they fit; the outputs keep the names asked for."""
    for suffix in (".mp3", ".m4b"):
        out = tmp_path / ("é" * 120 + suffix)  # 240 bytes in UTF-8, 244 with the suffix
        run = export(tiny, out)
        assert run.returncode == 0, run.stderr
        assert run.stdout.splitlines() == [str(out), str(out.with_suffix(".vtt")), str(out.with_suffix(".json"))]
        assert out.stat().st_size > 1000 and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_temp_names_of_long_names_fit_and_stay_apart(tmp_path):
    from audioguide.files import name_max, part_stem

    a, b = tmp_path / ("a" * 250 + "1.mp3"), tmp_path / ("a" * 250 + "2.mp3")
    longest = f".{part_stem(a)}.4194304.01234567-aac.part"  # the largest pid Linux gives
    assert len(longest.encode()) <= name_max(tmp_path) and part_stem(a) != part_stem(b)
    assert part_stem(tmp_path / "s.mp3") == "s.mp3"


@pytest.mark.parametrize("name, too_long", [("b" * 260 + ".mp3", "b" * 260 + ".mp3"),
                                            ("b" * 251 + ".mp3", "b" * 251 + ".json")])  # the sidecar is 256
def test_a_name_too_long_for_the_file_system_is_one_line_before_any_work(tiny, tmp_path, isolated_cache, name,
                                                                          too_long):
    before = listing(tmp_path)
    size = len(too_long.encode())
    assert one_error(export(tiny, tmp_path / name)) == (
        f"{tmp_path / too_long}: the file name is too long ({size} bytes; this file system takes at most 255); "
        "give a shorter name")
    assert listing(tmp_path) == before
    assert nothing_synthesized(isolated_cache)


def test_draft_writes_a_long_name_and_refuses_one_too_long(tmp_path):
    fits = "r" * 250 + ".yaml"
    run = run_cli("draft", str(GUIDE), "-o", fits, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [fits]
    assert one_error(run_cli("draft", str(GUIDE), "-o", "r" + fits, cwd=tmp_path)) == (
        f"r{fits}: the file name is too long (256 bytes; this file system takes at most 255); give a shorter name")
    assert sorted(p.name for p in tmp_path.iterdir()) == [fits]


@pytest.mark.parametrize("extra", [(), ("--format", "mp3")])
def test_a_folder_or_a_device_says_so_whatever_the_suffix(tiny, tmp_path, isolated_cache, extra):
    (tmp_path / "existing").mkdir()
    assert one_error(export(tiny, tmp_path / "existing", *extra)) == \
        f"{tmp_path / 'existing'}: is a directory, give a file name"
    assert one_error(export(tiny, "/dev/null", *extra)) == \
        "/dev/null: is a character device, not a regular file; give another name"
    assert nothing_synthesized(isolated_cache)


@pytest.mark.parametrize("name", ["g.txt", "./g.txt", "link.txt", "hard.txt"])
def test_draft_never_writes_over_the_guide_it_reads_even_with_force(tmp_path, name):
    guide = tmp_path / "g.txt"
    guide.write_bytes(GUIDE.read_bytes())
    (tmp_path / "link.txt").symlink_to("g.txt")
    os.link(guide, tmp_path / "hard.txt")
    before = listing(tmp_path)
    for force in ((), ("--force",)):
        assert one_error(run_cli("draft", "g.txt", "-o", name, *force, cwd=tmp_path)) == \
            f"{Path(name)}: is the guide being drafted from; give another name for the routine"
    assert listing(tmp_path) == before


def test_draft_from_standard_input_never_writes_over_the_file_it_came_from(tmp_path):
    """`draft - -o g.txt --force < g.txt` replaced the guide; a pipe into draft still writes."""
    guide = tmp_path / "g.txt"
    guide.write_bytes(GUIDE.read_bytes())
    with open(guide, "rb") as stdin:
        run = subprocess.run([str(BIN / "audioguide"), "draft", "-", "-o", "g.txt", "--force"], stdin=stdin,
                             capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert one_error(run) == "g.txt: is the guide being drafted from; give another name for the routine"
    assert guide.read_bytes() == GUIDE.read_bytes()
    piped = subprocess.run(f"cat g.txt | {BIN / 'audioguide'} draft - -o r.yaml", shell=True, capture_output=True,
                           text=True, cwd=tmp_path, timeout=120)
    assert piped.returncode == 0 and "\ntitle: " in "\n" + (tmp_path / "r.yaml").read_text()
