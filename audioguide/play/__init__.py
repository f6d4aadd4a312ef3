"""Live playback: the session spoken through the sound card, steerable without looking.

What reaches the device equals the export: the feed walks the same exact cues
(``compiler.stream_cues``, or ``compile_script`` with ``--length``) and the cue
index renders each buffer with ``render.render_span``, as the export renders
its chunks. At 0 dB volume the samples are
sent untouched.

The package, one concern per module (imports point down this list):

    commands     Command: what every input source produces, and the one queue
    cues         CueIndex: exact cues with sample offsets; chapter picking
    transport    pure navigation: pause, next, back, repeat, volume (no clock, no device)
    device       the only simpleaudio import: a buffer on the device and its clock
    feed         fills the cue index on a thread, speech synthesized ahead
    inputs/      keys (a terminal), each source posting Commands
    status       the status line
    loop         commands -> transport -> device, until the end
    run          ``play()``: a whole live session put together

This file imports nothing, so that ``audioguide.play.commands`` is cheap to import.

``--length`` fits the flexible pauses to a target, which needs every length
first: then every line is prepared up front and the exact ``compile_script``
cues are played. ``--start-at`` starts at a chapter's first sample, which
depends on the exact lengths of every earlier line: those lines are spoken
first (instantly from the speech cache after one export or play).
"""

