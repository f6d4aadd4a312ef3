// audioguide's one script (ours, served from the package; nothing is fetched from elsewhere).
// The job page's live progress, and the player's chapters, transcript and lock-screen controls.
// Every page works without it: the job page refreshes itself and the <audio> has its own controls.
"use strict";

function watchJob(box) {
  const bar = document.getElementById("bar");
  const stage = document.getElementById("stage");
  const ready = document.getElementById("ready");
  const listen = document.getElementById("listen");
  const cancelForm = document.getElementById("cancel-form");

  function show(s) {
    box.dataset.state = s.state;
    if (s.state === "waiting") {
      bar.removeAttribute("value");  // indeterminate while it waits
      stage.textContent = "Waiting: " + s.place + " ahead of this one.";
    } else if (s.state === "running") {
      bar.max = s.total || 1;
      bar.value = s.done;
      stage.textContent = (s.stage || "starting") + (s.total ? " (" + s.done + " of " + s.total + ")" : "");
    } else if (s.state === "done") {
      bar.max = 1;
      bar.value = 1;
      stage.textContent = "Ready.";
    } else if (s.state === "cancelled") {
      stage.textContent = "Cancelled.";
    } else {
      stage.textContent = "It failed: " + s.message;
    }
    cancelForm.hidden = !(s.state === "waiting" || s.state === "running");
  }

  async function poll() {
    let s;
    try {
      const response = await fetch(box.dataset.statusUrl, {cache: "no-store"});
      if (!response.ok) throw new Error("status " + response.status);
      s = await response.json();
    } catch (e) {
      setTimeout(poll, 2000);  // the server restarting, a phone changing networks: keep trying
      return;
    }
    show(s);
    if (s.session_url) {
      listen.href = s.session_url;
      ready.hidden = false;
      window.location.assign(s.session_url);
    } else if (s.state === "waiting" || s.state === "running") {
      setTimeout(poll, 500);
    }
  }
  if (box.dataset.state === "waiting" || box.dataset.state === "running") poll();
}

function startPlayer(audio) {
  const seconds = (el, key) => Number(el.dataset[key]) / 1000;
  const chapters = Array.from(document.querySelectorAll("#chapters .seek"),
                              (el) => ({el, start: seconds(el, "start")}));
  const lines = Array.from(document.querySelectorAll("#transcript li"), (el) => ({el, start: seconds(el, "start")}));
  const transcript = document.getElementById("transcript");
  const follow = document.getElementById("follow");
  let line = null;
  let chapter = null;

  function seek(t) {
    audio.currentTime = Math.max(0, t);
    update();  // light the chapter and line at once, before the browser's "seeked" event
    if (audio.paused) audio.play().catch(() => {});
  }
  // The last item that has started by time t: a line stays lit until the next one begins.
  function current(items, t) {
    let found = null;
    for (const item of items) {
      if (item.start <= t + 0.05) found = item; else break;
    }
    return found;
  }
  function update() {
    const t = audio.currentTime;
    const nowLine = current(lines, t);
    if (nowLine !== line) {
      if (line) line.el.classList.remove("now");
      if (nowLine) {
        nowLine.el.classList.add("now");
        if (follow.checked) {  // scroll the transcript box only, never the page
          transcript.scrollTop = nowLine.el.offsetTop - transcript.clientHeight / 3;
        }
      }
      line = nowLine;
    }
    const nowChapter = current(chapters, t);
    if (nowChapter !== chapter) {
      if (chapter) chapter.el.removeAttribute("aria-current");
      if (nowChapter) nowChapter.el.setAttribute("aria-current", "true");
      chapter = nowChapter;
    }
  }
  chapters.forEach((c) => c.el.addEventListener("click", () => seek(c.start)));
  lines.forEach((l) => l.el.addEventListener("click", () => seek(l.start)));
  audio.addEventListener("timeupdate", update);
  audio.addEventListener("seeked", update);

  // Lock-screen and headset controls (Media Session API): play, pause, seek, chapters as tracks.
  if (!("mediaSession" in navigator)) return;
  const session = navigator.mediaSession;
  session.metadata = new MediaMetadata({
    title: audio.dataset.title, artist: audio.dataset.artist, album: audio.dataset.album,
  });
  const handle = (action, fn) => {
    try { session.setActionHandler(action, fn); } catch (e) { /* an action this browser lacks */ }
  };
  handle("play", () => audio.play());
  handle("pause", () => audio.pause());
  handle("seekbackward", (d) => seek(audio.currentTime - (d.seekOffset || 10)));
  handle("seekforward", (d) => seek(Math.min(audio.duration || Infinity, audio.currentTime + (d.seekOffset || 10))));
  handle("seekto", (d) => { audio.currentTime = d.seekTime; });
  handle("previoustrack", () => {
    const here = current(chapters, audio.currentTime);
    const i = chapters.indexOf(here);
    // Like a CD player: back to this chapter's start, or to the previous one when just past it.
    seek(here && audio.currentTime - here.start > 3 ? here.start : (chapters[Math.max(0, i - 1)] || {start: 0}).start);
  });
  handle("nexttrack", () => {
    const next = chapters.find((c) => c.start > audio.currentTime + 0.5);
    if (next) seek(next.start);
  });
  const position = () => {
    if (!Number.isFinite(audio.duration) || !session.setPositionState) return;
    try {
      session.setPositionState({duration: audio.duration, playbackRate: audio.playbackRate,
                                position: Math.min(audio.currentTime, audio.duration)});
    } catch (e) { /* a duration not known yet */ }
  };
  audio.addEventListener("play", () => { session.playbackState = "playing"; position(); });
  audio.addEventListener("pause", () => { session.playbackState = "paused"; position(); });
  audio.addEventListener("loadedmetadata", position);
  audio.addEventListener("seeked", position);
}

document.addEventListener("DOMContentLoaded", () => {
  const job = document.getElementById("job");
  if (job) watchJob(job);
  const audio = document.getElementById("player");
  if (audio) startPlayer(audio);
});
