"""The default phrases' classifier (neural.py): streaming features, the head, deciding, and which
phrases go to it. The speech is Piper's (tests/conftest.py ``phrases``), in a quiet room; the real
capture path is tests/test_voice.py and tests/test_listen.py."""

from __future__ import annotations

import numpy as np
import pytest

from audioguide.play.gate import SoundGate
from audioguide.play.inputs import neural, voice
from audioguide.play.inputs.listening import spotters
from audioguide.play.inputs.phrases import DEFAULT_PHRASES
from test_voice import RATE, at_16k, in_room, speech_end, spot


@pytest.fixture(scope="module")
def embedder() -> neural.Embedder:
    return neural.Embedder()


def test_the_head_knows_the_default_phrases_in_order():
    assert neural.known_phrases() == tuple(DEFAULT_PHRASES)
    p = neural.probabilities(np.zeros(neural.EMBEDDINGS * 96, np.float32))
    assert p.shape == (len(DEFAULT_PHRASES) + 1,) and p.sum() == pytest.approx(1.0)


def test_streaming_in_microphone_periods_equals_one_feed(embedder, phrases):
    audio = in_room(at_16k(phrases["carry on"]))

    def inputs(size: int) -> list[np.ndarray]:
        embedder.reset()
        made = []
        for i in range(0, len(audio), size):
            done = embedder.feed(audio[i:i + size])
            assert len(done) <= 1
            if done:
                made.append(embedder.features())
        return made

    by_hop, by_period = inputs(neural.HOP), inputs(voice.PERIOD)
    # One input per 80 ms from the first (the input starts as a quiet room).
    assert len(by_hop) == len(by_period) == len(audio) // neural.HOP
    assert np.allclose(by_hop, by_period, atol=1e-4)
    embedder.reset()
    embedder.feed(audio)  # all at once: the same last input
    assert np.allclose(embedder.features(), by_period[-1], atol=1e-4)


def test_sensitivity_moves_the_probability_needed():
    assert neural.threshold(0.0) == pytest.approx(0.9999)
    assert neural.threshold(0.5) == pytest.approx(0.999)
    assert neural.threshold(1.0) == pytest.approx(0.99)
    with pytest.raises(ValueError, match="sensitivity must be 0..1, got 2"):
        neural.NeuralSpotter(DEFAULT_PHRASES, 2)
    with pytest.raises(ValueError, match="not trained on 'lights off'"):
        neural.NeuralSpotter({"lights off": "pause"})


def test_each_default_phrase_is_heard_as_its_command(phrases):
    spotter = neural.NeuralSpotter(DEFAULT_PHRASES)
    for k, (phrase, action) in enumerate(DEFAULT_PHRASES.items()):
        t0 = 100.0 + 10 * k  # one after another, as a session hears them
        speech = at_16k(phrases[phrase])
        heard = spot(spotter, in_room(speech), t0)
        assert [h.action for h in heard] == [action], phrase
        h = heard[0]
        said = t0 + 1 + speech_end(speech)
        # The head's end of the phrase is near where its speech ended (in a room within a step or
        # two; here, clean speech, up to 0.45 s late); the gate is asked about the SHORTEST_S before it.
        assert said - 0.12 <= h.end <= said + 0.45 and h.start == pytest.approx(h.end - neural.SHORTEST_S), phrase
        # Where the speech really ended is found on the loudness...
        assert abs(h.spoken_end - said) <= 0.035, phrase
        # ...and it acts soon after: the head's step, then QUIET_S of quiet.
        assert 0 < h.at - h.spoken_end <= 0.6, phrase


def test_a_sentence_without_a_phrase_is_not_a_command(phrases):
    assert spot(neural.NeuralSpotter(DEFAULT_PHRASES), in_room(at_16k(phrases["sentence"]))) == []


def test_a_phrase_followed_by_more_speech_is_one_command_at_most(phrases):
    """"pause now" run straight on into speech (the voiced stretches of a sentence, 1.5 s): not a
    command while the speaker goes on; with a breath (1 s) before the sentence: one."""
    pause, sentence = at_16k(phrases["pause now"]), at_16k(phrases["sentence"])
    said = np.flatnonzero(np.abs(pause) > 0.02 * np.abs(pause).max())
    frames = sentence[: len(sentence) // 160 * 160].reshape(-1, 160).astype(np.float64)
    level = 10 * np.log10(np.mean(frames ** 2, axis=1) + 1e-9)
    voiced = np.tile(frames[level > level.max() - 20].ravel(), 3)[: 3 * RATE // 2].astype(np.int16)
    run_on = np.concatenate([pause[:said[-1] + 1], voiced])
    assert spot(neural.NeuralSpotter(DEFAULT_PHRASES), in_room(run_on)) == []
    heard = spot(neural.NeuralSpotter(DEFAULT_PHRASES), in_room(np.concatenate([pause, np.zeros(RATE, np.int16),
                                                                                  sentence])))
    assert [h.action for h in heard] == ["pause"]


def test_the_guides_own_phrase_is_passed_over_and_one_said_right_after_it_is_heard(phrases):
    guide, user = at_16k(phrases["go back"]), at_16k(phrases["pause now"])
    audio = in_room(np.concatenate([guide, np.zeros(RATE * 4 // 10, np.int16), user]))
    gate = SoundGate(clock=lambda: 0.0, tail_s=0.05)
    gate.sounding(101.0, 101.0 + len(guide) / RATE)
    assert [h.action for h in spot(neural.NeuralSpotter(DEFAULT_PHRASES), audio)] == ["back", "pause"]
    assert [h.action for h in spot(neural.NeuralSpotter(DEFAULT_PHRASES, gate=gate), audio)] == ["pause"]


def test_a_default_phrase_keeps_the_users_action_and_only_the_users_phrases_act(phrases):
    heard = spot(neural.NeuralSpotter({"go back": "pause"}), in_room(at_16k(phrases["go back"])))
    assert [(h.phrase, h.action) for h in heard] == [("go back", "pause")]
    assert spot(neural.NeuralSpotter({"pause now": "pause"}), in_room(at_16k(phrases["go back"]))) == []


def test_default_phrases_go_to_the_classifier_and_the_users_own_to_keyword_spotting():
    assert [type(s) for s in spotters(DEFAULT_PHRASES)] == [neural.NeuralSpotter]
    both = spotters({"Go  Back": "back", "lights off": "pause"})
    assert [type(s) for s in both] == [neural.NeuralSpotter, voice.Spotter]
    assert both[0].phrases == {"go back": "back"} and set(both[1].phrases) == {"lights off"}
    assert [type(s) for s in spotters({"lights off": "pause"})] == [voice.Spotter]


class _Scripted:
    """A spotter that hears what it is told on its n-th feed."""

    def __init__(self, script: dict[int, voice.Heard]) -> None:
        self.script, self.fed, self.trace = script, 0, None

    def feed(self, samples, t0):
        self.fed += 1
        return [self.script[self.fed]] if self.fed in self.script else []

    def gap(self):
        pass


class _Microphone:
    def __init__(self, device):
        self.t = 100.0

    def read(self):
        import time

        time.sleep(0.002)
        self.t += voice.PERIOD / RATE
        return np.zeros(voice.PERIOD, np.int16), self.t

    def close(self):
        pass


def test_one_thing_said_is_one_command_whichever_spotters_hear_it(monkeypatch):
    """The classifier hears "next step"; keyword spotting then hears a user's "step back" on its
    second word: only the first acts. A phrase said after it acts."""
    import queue
    import time

    from audioguide.play.commands import Command
    from audioguide.play.inputs import listening

    first = voice.Heard("next step", "next", 101.6, 102.0, 102.1, spoken_end=102.03)
    same = voice.Heard("step back", "back", 101.6, 102.2, 102.5, spoken_end=102.03)
    later = voice.Heard("step back", "back", 104.0, 104.6, 104.8, spoken_end=104.6)
    monkeypatch.setattr(listening, "spotters", lambda *a, **k: [_Scripted({3: first}), _Scripted({5: same, 9: later})])
    commands: queue.SimpleQueue = queue.SimpleQueue()
    listener = listening.Listener(commands, SoundGate(), microphone=_Microphone).start()
    time.sleep(0.3)
    listener.close()
    got = []
    while not commands.empty():
        got.append(commands.get())
    assert got == [Command("next", "voice"), Command("back", "voice")]
    assert [h.phrase for h in listener.heard] == ["next step", "step back"]
