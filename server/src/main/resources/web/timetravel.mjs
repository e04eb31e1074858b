// Time travel on the run page (docs/api.md, "Reading runs"): a scrubber over the run's events
// (1 … its last seq), a number field and a play button; while a position is chosen, the page shows
// the run as it was just after that event, read from GET …/state?at=SEQ (the server's own fold of
// the log, not the page's), under a banner that says so and leads back to live. The position is
// in the address (?at=N) so that it can be shared; opening such an address starts there.
import { api } from './api.mjs';
import { el, clock } from './format.mjs';

/**
 * Play's pace. 1× is the run's own average pace: its events over its duration (so far, for a
 * run still going), never slower than one event a second, so that a run that sat for days
 * waiting for an approval still plays in a minute or so; 10× and 100× are that times 10 and
 * 100. The position follows the clock, not the answers: a slow answer skips events rather than
 * slowing the play, so 100× over a run of a million events ends in its duration / 100.
 */
export const SPEEDS = [1, 10, 100];
const MIN_RATE = 1;        // events per second at 1×, at the least
const PLAY_FRAME_MS = 40;  // between a shown position and the next request while playing

/** Events per second at 1×: `last` events over the run's duration in ms (null: not known). */
export function baseRate(last, durationMs) {
  if (!durationMs || durationMs <= 0) return Math.max(MIN_RATE, last);
  return Math.max(MIN_RATE, last / (durationMs / 1000));
}

/**
 * The run as GET …/state?at=SEQ tells it, in the shape the run page renders (runstate.mjs's
 * newRunState). `time` is event SEQ's: a run or step going on then shows its time so far at it.
 */
export function viewOf(detail, seq, time) {
  const now = time ? Date.parse(time) : null;
  const going = (status) => status === 'running' || status === 'waiting';
  const sofar = (status, startedAt) => (now !== null && startedAt && going(status)
    ? Math.max(0, now - Date.parse(startedAt)) : null);
  return {
    seq,
    time,
    run: { runId: detail.runId, workflowId: detail.workflowId, status: detail.status, createdAt: detail.createdAt,
      startedAt: detail.startedAt, finishedAt: detail.finishedAt, error: detail.error,
      duration: detail.duration ?? sofar(detail.status, detail.startedAt) },
    steps: new Map(detail.steps.map((s) => [s.stepId, {
      stepId: s.stepId, stepName: s.stepName, needs: s.needs ?? [], status: s.status, attempt: s.attempt,
      startedAt: s.startedAt, duration: s.duration ?? sofar(s.status, s.startedAt), error: s.error,
      outputs: s.outputs && Object.keys(s.outputs).length ? s.outputs : null, truncated: s.truncated === true,
      childRunId: null, waitingMessage: null, decision: null, reused: s.reused === true,
    }])),
    vars: new Map(Object.entries(detail.variables ?? {})),
  };
}

export class TimeTravel {
  /**
   * @param {string} runId
   * @param {{last: number, run(): {startedAt: string|null, duration: number|null},
   *   onView(view: object|null): void}} options `last` the run's last seq as read; `run` the live
   *   run (for play's pace); onView gets the view at the chosen event, or null back at live
   */
  constructor(runId, { last, run, onView }) {
    this.runId = runId;
    this.liveRun = run;
    this.onView = onView;
    this.last = last;
    this.viewing = false;   // a position is chosen: the page shows the past
    this.wanted = null;     // the position asked for last: the only answer shown
    this.inFlight = false;  // at most one request at a time
    this.shown = null;      // the position shown
    this.playing = false;
    this.timer = null;
    this.left = false;

    this.slider = el('input', { type: 'range', id: 'tt-range', class: 'tt-range', min: 1, step: 1,
      'aria-label': 'Event', oninput: () => { this.pause(); this.go(Number(this.slider.value)); } });
    this.number = el('input', { type: 'number', id: 'tt-seq', class: 'tt-seq', min: 1, step: 1,
      'aria-label': 'Event number', onchange: () => { this.pause(); this.go(Number(this.number.value)); } });
    this.total = el('span', { class: 'tt-total muted' });
    this.playButton = el('button', { type: 'button', class: 'tt-play', onclick: () => (this.playing ? this.pause() : this.play()) });
    this.speed = el('select', { id: 'tt-speed', class: 'tt-speed', 'aria-label': 'Speed', onchange: () => this.rebase(),
      title: '1× plays the run at its own average pace (at least an event a second)' },
      SPEEDS.map((s) => el('option', { value: s, text: `${s}×` })));
    this.note = el('span', { class: 'tt-note', role: 'status', 'aria-live': 'polite' });
    this.bannerText = el('span', { class: 'tt-banner-text' });
    this.banner = el('p', { class: 'tt-banner', hidden: true }, this.bannerText, ' — ',
      el('button', { type: 'button', class: 'tt-live', text: 'Back to live', onclick: () => this.backToLive() }));
    this.node = el('section', { class: 'timetravel', 'aria-label': 'Time travel' }, this.banner,
      el('div', { class: 'tt-controls' },
        el('span', { class: 'tt-label', text: 'Time travel' }), this.playButton, this.speed,
        this.slider, el('label', { for: 'tt-seq', class: 'sr-only', text: 'Event' }), this.number, this.total, this.note));
    this.paint();
  }

  /** The run's last seq grew (events arrived): the scrubber reaches it; at live, it sits there. */
  setLast(seq) {
    if (seq <= this.last) return;
    this.last = seq;
    this.paint();
  }

  /** Starts at the position of an address's `?at=` (null or junk: live). */
  start(at) {
    const n = Number.parseInt(at ?? '', 10);
    if (Number.isFinite(n) && n >= 1 && this.last >= 1) this.go(n);
  }

  /** Shows the run as it was just after event `seq` (kept within 1 … last). */
  go(seq) {
    if (!Number.isFinite(seq) || this.last < 1) return;
    seq = Math.min(this.last, Math.max(1, Math.round(seq)));
    this.viewing = true;
    this.wanted = seq;
    this.address(seq);
    this.paint();
    if (!this.inFlight) this.fetch(seq);
  }

  backToLive() {
    this.pause();
    this.viewing = false;
    this.wanted = null;
    this.shown = null;
    delete this.node.dataset.shown;
    this.note.textContent = '';
    this.address(null);
    this.paint();
    this.onView(null);
  }

  play() {
    if (this.last < 1) return;
    const from = this.viewing && this.shown !== null && this.shown < this.last ? this.shown : 1;
    this.playing = true;
    this.base = { seq: from, t: performance.now() };
    this.paint();
    this.go(from);
  }

  pause() {
    if (!this.playing) return;
    this.playing = false;
    clearTimeout(this.timer);
    this.paint();
  }

  /** A new speed while playing: on from where it is. */
  rebase() {
    if (this.playing) this.base = { seq: this.shown ?? this.base.seq, t: performance.now() };
  }

  /** Stops playing and ignores any answer still to come: the page has left the run. */
  stop() {
    this.left = true;
    this.pause();
  }

  async fetch(seq) {
    this.inFlight = true;
    let view = null;
    let error = null;
    try {
      const path = `/api/v2/workflows/runs/${encodeURIComponent(this.runId)}`;
      const [detail, page] = await Promise.all([api(`${path}/state?at=${seq}`), api(`${path}/events?after=${seq - 1}&limit=1`)]);
      view = viewOf(detail, seq, page.events[0]?.time ?? null);
    } catch (err) {
      error = err;
    }
    this.inFlight = false;
    if (this.left || !this.viewing) return;
    // The latest position wins: an answer for another one is dropped, and the latest asked for.
    if (this.wanted !== seq) { this.fetch(this.wanted); return; }
    if (error) {
      this.note.textContent = `Could not read the run at event ${seq}: ${error.message}`;
      this.pause();
      return;
    }
    this.note.textContent = '';
    this.shown = seq;
    this.node.dataset.shown = String(seq);
    this.paint(view.time);
    this.onView(view);
    if (this.playing) this.timer = setTimeout(() => this.advance(), PLAY_FRAME_MS);
  }

  /** Play's next position: where the clock says, once it has moved past the one shown. */
  advance() {
    if (!this.playing || this.left) return;
    if (this.shown >= this.last) { this.pause(); return; }
    const run = this.liveRun();
    const ms = run.duration ?? (run.startedAt ? Date.now() - Date.parse(run.startedAt) : null);
    const rate = baseRate(this.last, ms) * Number(this.speed.value);
    const target = Math.min(this.last, Math.floor(this.base.seq + ((performance.now() - this.base.t) / 1000) * rate));
    if (target <= this.shown) { this.timer = setTimeout(() => this.advance(), PLAY_FRAME_MS); return; }
    this.go(target);
  }

  /** The position in the address, replacing it (no history entry per step of the scrubber). */
  address(seq) {
    const url = new URL(location.href);
    if (seq === null) url.searchParams.delete('at'); else url.searchParams.set('at', String(seq));
    history.replaceState(history.state, '', url.pathname + url.search + url.hash);
  }

  paint(time) {
    const at = this.viewing ? this.wanted : this.last;
    this.node.hidden = this.last < 1;
    this.node.classList.toggle('viewing', this.viewing);
    this.slider.max = String(Math.max(1, this.last));
    this.number.max = String(Math.max(1, this.last));
    if (document.activeElement !== this.slider) this.slider.value = String(at ?? this.last);
    if (document.activeElement !== this.number) this.number.value = String(at ?? this.last);
    this.total.textContent = `of ${this.last}${this.viewing ? '' : ' (live)'}`;
    this.playButton.textContent = this.playing ? 'Pause' : 'Play';
    this.playButton.setAttribute('aria-pressed', String(this.playing));
    this.banner.hidden = !this.viewing;
    if (this.viewing && this.shown === null) {
      this.bannerText.textContent = `Going to event ${this.wanted} of ${this.last}…`;
    } else if (this.viewing && time !== undefined) {
      this.bannerText.textContent = `Viewing the run as it was at event ${this.shown} of ${this.last}`
        + (time ? ` (${clock(time)})` : '');
    } else if (this.viewing) {
      this.bannerText.textContent = this.bannerText.textContent.replace(/ of \d+/, ` of ${this.last}`);
    }
  }
}
