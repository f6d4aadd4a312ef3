"""The transport, pure: every navigation rule in milliseconds, with no device, clock or sleep."""

from __future__ import annotations

import pytest

from audioguide.pcm import ms_to_samples
from audioguide.play.commands import Command
from audioguide.play.cues import CueIndex
from audioguide.play.transport import BACK_AGAIN_S, VOLUME_RANGE_DB, Play, Transport
from audioguide.script import Chapter, Chime, Pause, Say


def session(done: bool = True, steps: int = 4) -> CueIndex:
    """Chapter "A", then per step: a 1 s instruction and a 1 s pause; chapter "B" before step 2."""
    cues, t = [Chapter(title="A", step=0)], 0
    for step in range(steps):
        if step == 2:
            cues.append(Chapter(title="B", start_ms=t, step=step))
        cues.append(Say(text=f"Step {step}.", start_ms=t, duration_ms=1000, step=step))
        cues.append(Pause(start_ms=t + 1000, duration_ms=1000, step=step, flexible=True))
        t += 2000
    index = CueIndex()
    for cue in cues:
        index.add(cue)
    if done:
        index.finish()
    return index


def s(ms: int) -> int:
    return ms_to_samples(ms)


def act(t: Transport, action: str, at_ms: int, now: float = 100.0, heard_ms: int | None = None) -> str:
    return t.apply(Command(action), s(at_ms), now, None if heard_ms is None else s(heard_ms))


def test_it_plays_from_the_start_to_the_end_in_buffers_of_whole_cues():
    t = Transport(session())
    assert t.next() == Play(0, s(8000))
    t.finished_buffer(s(8000))
    assert t.next() == "end" and t.state == "finished"


def test_pause_keeps_the_exact_sample_and_resume_goes_on_from_it():
    t = Transport(session())
    assert t.interrupts(Command("toggle"), s(1200))
    assert act(t, "toggle", 1234) == "paused at 0:01"
    assert t.paused and t.position == s(1234) and t.state == "paused"
    assert not t.interrupts(Command("toggle"), s(1234))  # nothing plays while paused
    assert act(t, "toggle", 1234) == "resumed at 0:01"
    assert t.next() == Play(s(1234), s(8000))


def test_pause_resume_and_go_are_separate_commands_too():
    t = Transport(session())
    assert act(t, "resume", 500) == ""  # not paused: nothing to do
    act(t, "pause", 500)
    assert act(t, "pause", 600) == "" and t.position == s(500)
    assert act(t, "go", 500).startswith("resumed") and not t.paused


def test_next_goes_to_the_first_sample_of_the_next_step_and_resumes_a_pause():
    t = Transport(session())
    act(t, "pause", 500)
    act(t, "next", 500)
    assert not t.paused
    assert t.next() == Play(s(2000), s(8000)) and t.jumped


def test_next_pressed_twice_before_the_jump_plays_goes_two_steps():
    """Both presses printed "next: step 2" and it moved one step."""
    t = Transport(session())
    assert act(t, "next", 500) == "next: step 2"
    assert act(t, "next", 500) == "next: step 3"
    assert t.next().start == t.cues.starts[t.cues.step_first[2]]


def test_next_and_back_judge_the_step_by_what_was_heard_not_where_the_drain_ended():
    t = Transport(session())
    # Heard at 1.9 s (step 0); the device drained on to 2.1 s (step 1).
    act(t, "back", 2100, heard_ms=1900)
    assert t.next().start == 0
    act(t, "next", 2100, now=200.0, heard_ms=1900)
    assert t.next().start == s(2000)


def test_back_goes_to_this_steps_start_and_twice_quickly_to_the_previous_step():
    t = Transport(session())
    act(t, "back", 5500, now=10.0)
    assert t.next().start == s(4000)
    act(t, "back", 4300, now=10.0 + BACK_AGAIN_S - 0.01)
    assert t.next().start == s(2000)
    act(t, "back", 2300, now=10.0 + 2 * BACK_AGAIN_S - 0.02)  # a third quick press: one more
    assert t.next().start == 0
    act(t, "back", 300, now=10.0 + 3 * BACK_AGAIN_S - 0.03)  # never before the first step
    assert t.next().start == 0


def test_back_after_a_while_is_this_step_again():
    t = Transport(session())
    act(t, "back", 5500, now=10.0)
    act(t, "back", 4500, now=10.0 + BACK_AGAIN_S + 0.5)
    assert t.next().start == s(4000)


def test_repeat_in_a_pause_detours_through_the_instruction_and_returns():
    t = Transport(session())
    assert t.interrupts(Command("repeat"), s(3500))
    act(t, "repeat", 3600, heard_ms=3500)  # in step 1's pause
    first = t.next()
    assert first == Play(s(2000), s(3000)), "the instruction, and not a sample more"
    t.finished_buffer(first.stop)
    assert t.next() == Play(s(3600), s(8000)), "back where playback stopped"


def test_repeat_while_the_instruction_plays_restarts_it_without_a_detour():
    t = Transport(session())
    act(t, "repeat", 2600, heard_ms=2500)
    assert t.detour is None and t.next() == Play(s(2000), s(8000))


def test_repeat_during_a_repeat_returns_to_the_first_place():
    t = Transport(session())
    act(t, "repeat", 3600)
    t.next()
    act(t, "repeat", 2400)  # again, while the instruction is being repeated
    assert t.next() == Play(s(2000), s(3000))
    t.finished_buffer(s(3000))
    assert t.next().start == s(3600)


def test_repeat_before_anything_was_said_does_nothing_and_stops_nothing():
    t = Transport(CueIndex())
    assert not t.interrupts(Command("repeat"), 0)
    assert act(t, "repeat", 0) == "" and t.position == 0


def test_volume_steps_3_db_within_its_range_and_restarts_from_the_played_sample():
    t = Transport(session())
    assert act(t, "volume_down", 700) == "volume -3 dB"
    assert t.volume_db == -3 and t.position == s(700)
    for _ in range(20):
        act(t, "volume_up", 700)
    assert t.volume_db == VOLUME_RANGE_DB[1]
    assert not t.interrupts(Command("volume_up"), s(700)), "at the top: nothing changes, nothing stops"
    assert act(t, "volume_up", 900) == "" and t.position == s(700)


def test_volume_while_paused_keeps_the_paused_position():
    t = Transport(session())
    act(t, "pause", 1500)
    act(t, "volume_up", 1500)
    assert t.paused and t.position == s(1500) and t.volume_db == 3


def test_quit_stops_where_it_is():
    t = Transport(session())
    assert t.interrupts(Command("quit"), 0)
    act(t, "quit", 2500)
    assert t.quit and t.state == "stopped"


def test_next_past_the_last_step_ends_the_session():
    t = Transport(session())
    assert act(t, "next", 7000) == "next: the end"
    assert t.next() == "end"


def test_next_on_the_last_step_plays_the_end_bell():
    index = session(done=False)
    index.add(Chime(kind="end", start_ms=8000, duration_ms=4000, step=3))
    index.finish()
    t = Transport(index)
    assert act(t, "next", 6500) == "next: the end"
    assert t.next() == Play(s(8000), s(12000))  # the bell, not silence: the session ends as it should
    t.finished_buffer(s(12000))
    assert t.next() == "end"
    t = Transport(index)
    act(t, "next", 9000)  # during the bell: nothing more to skip to
    assert t.next() == "end"


def test_next_on_the_last_step_while_speech_is_behind_still_plays_the_end_bell():
    index = session(done=False)
    t = Transport(index)
    assert act(t, "next", 6500) == "next: step 5"  # how many steps there are is not known yet
    assert t.next() == "wait"
    index.add(Chime(kind="end", start_ms=8000, duration_ms=4000, step=3))
    index.finish()
    assert t.next() == Play(s(8000), s(12000))


def test_while_speech_is_behind_it_waits_and_a_pending_step_resolves_later():
    index = session(done=False, steps=2)
    t = Transport(index)
    t.finished_buffer(index.end)
    assert t.next() == "wait" and t.state == "waiting"
    act(t, "next", 3000)  # step 2 is not known yet
    assert t.next() == "wait"
    index.add(Say(text="Step 2.", start_ms=4000, duration_ms=1000, step=2))
    assert t.next() == Play(s(4000), s(5000))


def test_start_at_a_chapter_waits_for_it_and_ignores_navigation_until_then():
    index = session(done=False, steps=1)
    t = Transport(index, start_chapter=1)
    assert t.next() == "wait"
    assert not t.interrupts(Command("next"), 0)
    assert act(t, "next", 0) == "" and t.pending_step is None
    for cue in session(steps=4).cues[len(index.cues):]:
        index.add(cue)
    assert t.next().start == s(4000)


def test_a_failed_feed_ends_the_session_where_a_pending_step_cannot_be_reached():
    index = session(done=False, steps=1)
    t = Transport(index)
    act(t, "next", 500)
    index.finish(RuntimeError("engine died"))
    assert t.next() == "end"


@pytest.mark.parametrize("action", ["toggle", "pause", "suspend", "next", "back", "repeat", "quit"])
def test_every_command_that_moves_or_stops_playback_interrupts_the_device(action):
    assert Transport(session()).interrupts(Command(action), s(1500))


# -- the go-ahead of a self-paced wait, and a spoken quit that asks first ----------------------------


def ready_session() -> CueIndex:
    """An instruction (1 s), a self-paced wait of at most 10 s, another instruction (1 s)."""
    index = CueIndex()
    for cue in (Say(text="Take your time.", duration_ms=1000, step=0),
                Pause(start_ms=1000, duration_ms=10_000, step=0, self_paced=True),
                Say(text="Good.", start_ms=11_000, duration_ms=1000, step=1)):
        index.add(cue)
    index.finish()
    return index


@pytest.mark.parametrize("action", ["go", "toggle"])
def test_the_go_ahead_ends_a_self_paced_wait_at_once(action):
    t = Transport(ready_session())
    assert t.waiting_end(s(3000)) == s(11_000)
    assert t.interrupts(Command(action), s(3000))
    assert act(t, action, 3100, heard_ms=3000) == "going on at 0:11"
    assert not t.paused and t.jumped
    assert t.next() == Play(s(11_000), s(12_000))


def test_outside_a_wait_the_go_ahead_only_resumes_and_toggle_pauses():
    t = Transport(ready_session())
    assert t.waiting_end(s(500)) is None and t.waiting_end(s(11_500)) is None
    assert not t.interrupts(Command("go"), s(11_500))
    assert act(t, "go", 11_500) == "" and t.go_early is None
    assert act(t, "toggle", 500) == "paused at 0:00"
    # Paused inside the wait, the go-ahead resumes where it paused (the wait goes on).
    t2 = Transport(ready_session())
    act(t2, "pause", 4000)
    assert act(t2, "go", 4000) == "resumed at 0:04" and t2.position == s(4000)


def test_a_go_ahead_during_the_prompt_is_kept_for_the_wait_it_comes_before():
    t = Transport(ready_session())
    assert t.prompt_wait(s(900)) == s(1000) and t.prompt_wait(s(11_500)) is None
    assert not t.interrupts(Command("go"), s(900)), "the prompt plays on to its end"
    assert act(t, "go", 900) == "going on after this line" and t.go_early == s(1000)
    assert act(t, "volume_up", 950) == "volume +3 dB" and t.go_early == s(1000)  # volume keeps it
    # Once play reaches the wait, the loop gives the go-ahead again: the wait ends at once.
    assert act(t, "go", 1050, heard_ms=1020) == "going on at 0:11" and t.go_early is None
    t2 = Transport(ready_session())
    act(t2, "go", 900)
    act(t2, "pause", 950)
    assert t2.go_early is None, "any other command forgets it"


def test_nobody_answering_plays_the_whole_wait():
    t = Transport(ready_session())
    assert t.next() == Play(0, s(12_000))  # one buffer: the wait is the export's silence, whole


def test_a_spoken_quit_pauses_and_asks_and_quits_only_when_said_again():
    t = Transport(session())
    voice_quit = Command("quit", "voice")
    assert t.interrupts(voice_quit, s(500))
    note = t.apply(voice_quit, s(500), 100.0)
    assert note == "paused at 0:00; stop? say it again to stop"
    assert t.paused and t.asking_quit and not t.quit
    t.apply(voice_quit, s(500), 105.0)
    assert t.quit


def test_a_spoken_quit_can_be_taken_back_or_forgotten():
    from audioguide.play.transport import CONFIRM_QUIT_S

    t = Transport(session())
    voice_quit = Command("quit", "voice")
    t.apply(voice_quit, s(500), 100.0)
    t.apply(Command("go", "voice"), s(500), 101.0)  # "carry on"
    assert not t.paused and not t.quit
    t.apply(voice_quit, s(600), 102.0)
    t.apply(voice_quit, s(600), 102.0 + CONFIRM_QUIT_S + 1)  # too late: asks again
    assert not t.quit and t.paused
    t.apply(Command("quit", "keys"), s(600), 200.0)  # a key (or the media Stop) quits at once
    assert t.quit
