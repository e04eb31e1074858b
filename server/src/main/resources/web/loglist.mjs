// The log of a run, as a viewer of any size: 1,000,000 lines cost no more to draw than 30.
//
// What it keeps: one entry per step_log in columns (seq, time as epoch ms, step, level, group,
// the message's text lines and length, and its text while the budget below allows), no object
// per line; the text as shown is worked out only for the rows drawn, or for every held line
// while a text filter asks. Lines are grouped by step attempt, each group under a header row
// that collapses it; a group's lines stay together even where parallel steps interleaved them
// (the gutter shows each line's real seq), as a CI log reads. Groups come in the order of their
// first line.
//
// How it draws: the rows that pass the filters (`rows`: a line index, or -1 - g for group g's
// header) and their tops (`tops`, prefix sums of row heights) make a virtual list; only the
// rows in view are in the DOM. A row is as many text lines high as its message has (line feeds
// are shown as such), or, with wrap on, as the monospace columns make it (the character width is
// measured once), so no row is ever measured. Past MAX_HEIGHT px the scroll range is scaled,
// since browsers cap an element's height. Appending to the last group extends the list in place;
// a line of an earlier group (parallel steps) marks it for a rebuild, at most one per REBUILD_MS.
//
// The text has a budget: at most TEXT_BUDGET characters of messages in all (64 Mi; a message
// is up to 16 KiB and a run has no cap on lines, so all of it can be more than a tab bears;
// localStorage `stepstream.log.textBudget` sets another, for tests), counted in `textChars`.
// Past it the oldest lines drop their text, in line order (those before `heldFrom`; the newest
// line keeps its own whatever its size), keeping what a row needs without it: its text lines
// (its height), its length (its wrapped height, a guess for a message of several lines: how its
// characters are shared among them is not kept). While a text filter is on, the held lines'
// text is also kept in lower case (`lower`), so up to the budget again; never a dropped line's.
// A dropped row is drawn with a placeholder (…) while the server is asked for its text
// (`?types=step_log&after=`, one request at a time, a failed one tried again after a backoff);
// what comes back is kept for the rows drawn, at most CACHE_CHARS, the least recently drawn
// evicted first. A wrapped row whose guessed height was wrong rebuilds the list when its text comes.
//
// Search (find) covers the whole history: while the page does not hold all of it (the stream
// has not caught up, or lines dropped their text) it asks the server (`?q=` on the run's
// events), and once it does it looks in the lines here, which says the same sooner (the
// server's rule: the message as sent, ignoring case), and counts matching lines that arrive
// after. Then next/previous among the matches' seqs, the current one revealed when it is here
// (a dropped one drawn as any other). Filters (level, step, text) hide lines; search hides none.
// The text filter looks in the held lines' text as shown (colours stripped), and asks the server
// (`?q=`, page after page up to the last line dropped when it began; the list rebuilt as pages
// come, the counter saying it is still filtering) which of the dropped ones match: there the
// server's rule applies, the message as sent, ignoring case, which differs from the page's for a
// text that spans a colour change. A line dropped after the filter began was looked at here.
//
// Threads: the page's one thread; the stream calls add(), the DOM events the rest.
import { el, clock } from './format.mjs';
import { isPlain, plainText, render } from './ansi.mjs';
import { api } from './api.mjs';
import { here } from './routes.mjs';

const ROW = 22;                // px per text line, as .log-row's line-height in style.css
const MAX_HEIGHT = 15_000_000; // px: under every browser's cap on an element's height
const REBUILD_MS = 200;
const MATCH_CAP = 10_000;      // matches a search keeps; the counter says "10000+" past it
const LEVELS = ['debug', 'info', 'warn', 'error'];
const PREFS = 'stepstream.log.';
const TEXT_BUDGET = 64 * 2 ** 20; // characters of message text held, all lines together
const CACHE_CHARS = 4 * 2 ** 20;  // characters of dropped lines' text fetched back and kept: well over
                                  // what a view draws (about 100 rows of at most 16 KiB)
const FETCH_LIMIT = 1000;         // lines a request for dropped text asks for, at most
const RETRY_MS = 1000;            // after a failed request, doubled at each failure up to RETRY_MAX_MS
const RETRY_MAX_MS = 30_000;

/** The text budget: TEXT_BUDGET, or a positive whole number saved under `textBudget` (for tests). */
function textBudget() {
  const saved = Number(localStorage.getItem(PREFS + 'textBudget'));
  return Number.isSafeInteger(saved) && saved > 0 ? saved : TEXT_BUDGET;
}

/** The text lines of a message: its line feeds and one (a row shows each on a line of its own). */
function lineCount(message) {
  let n = 1;
  for (let at = message.indexOf('\n'); at >= 0; at = message.indexOf('\n', at + 1)) n++;
  return n;
}

/** The rows a message takes wrapped at `columns`: each of its text lines at least one. */
function wrappedRows(message, columns) {
  if (message.indexOf('\n') < 0) return Math.max(1, Math.ceil(message.length / columns));
  let rows = 0;
  for (const part of message.split(/\r?\n/)) rows += Math.max(1, Math.ceil(part.length / columns));
  return rows;
}

/** Grows a typed array to hold at least `n`. */
function ensure(array, n) {
  if (array.length >= n) return array;
  const bigger = new array.constructor(Math.max(n, array.length * 2, 1024));
  bigger.set(array);
  return bigger;
}

export class LogList {
  /**
   * @param {string} runId whose events the search asks for
   * @param {(stepId: string) => string} stepName a step's name, for the group headers
   */
  constructor(runId, stepName = (id) => id) {
    this.runId = runId;
    this.stepName = stepName;
    // --- the lines, in columns ------------------------------------------------------------
    this.length = 0;
    this.seqs = new Float64Array(1024);
    this.levels = new Uint8Array(1024);
    this.groupOf = new Uint32Array(1024);
    this.times = new Float64Array(1024); // epoch ms (NaN for none): a number, not an ISO string, a line
    this.textLines = new Uint16Array(1024);  // a message's text lines: its row's height without its text
    this.textLength = new Uint32Array(1024); // a message's characters: its wrapped height without its text
    this.messages = [];    // the text, or null once dropped: every line before heldFrom
    this.heldFrom = 0;     // the lines from here on hold their text (the oldest go first)
    this.textChars = 0;    // the characters held in messages, at most budget (but for the newest line)
    this.budget = textBudget();
    this.lower = null;     // the held messages as shown, lower case (null where dropped): while a text filter is on
    // The text filter's answer for the dropped lines: matched[i] is 1 for a match (the server's,
    // or this page's for a line dropped after it began); paging while the server is asked.
    this.textFilter = { text: '', matched: null, paging: false, error: null };
    this.groups = [];      // {stepId, attempt, lines: number[], collapsed}
    this.groupKeys = new Map();
    // --- the view -------------------------------------------------------------------------
    this.filter = { minLevel: 'debug', stepId: '', text: '' };
    this.wrap = localStorage.getItem(PREFS + 'wrap') === 'true';
    this.showTimes = localStorage.getItem(PREFS + 'times') !== 'false';
    this.rows = new Int32Array(1024);
    this.rowCount = 0;
    this.tops = new Float64Array(1025);
    this.groupShown = [];  // per group: whether its header is in rows
    this.dirty = false;
    this.lastRebuild = 0;
    this.columns = 0;      // characters a wrapped row holds; 0 until measured
    this.follow = true;
    this.viewY = 0;        // the list position (px) at the top of the view, whatever the scale
    this.scale = 1;        // list px per scroll px (above 1 past MAX_HEIGHT)
    this.pending = false;
    this.target = null;    // the seq a link or a search asked to see: highlighted, revealed when here
    this.cutoff = null;    // time travel's event: lines after it are dimmed
    this.find = { query: '', seqs: [], more: false, current: -1, token: 0, local: false };
    this.complete = false; // whether every line up to now is here (the stream has caught up)
    // --- dropped lines' text, fetched back for the rows drawn -----------------------------
    this.fetched = new Map(); // line index -> text, the least recently drawn first
    this.fetchedChars = 0;
    this.fetching = false;    // one request at a time
    this.failures = 0;        // failed requests in a row: the placeholder says so, and the next waits
    this.retryAt = 0;
    this.retryTimer = null;

    this.viewport = el('div', { class: 'log-viewport', tabindex: '0', role: 'log',
      'aria-label': 'Log lines', onscroll: () => this.onScroll() });
    this.spacer = el('div', { class: 'log-spacer' });
    this.rowsNode = el('div', { class: 'log-rows' });
    this.spacer.append(this.rowsNode);
    this.viewport.append(this.spacer);
    this.viewport.addEventListener('click', (ev) => this.onClick(ev));
    this.count = el('span', { class: 'muted log-count', 'aria-live': 'polite' });
    this.empty = el('p', { class: 'muted log-empty', text: 'No log lines yet.' });
    this.applyClasses();
    new ResizeObserver(() => { this.columns = 0; if (this.wrap) this.dirty = true; this.schedule(); }).observe(this.viewport);
  }

  // --- lines in ----------------------------------------------------------------------------

  /** A step_log: `{seq, time, stepId, level, message, attempt}`, in seq order. */
  add(line) {
    const i = this.length++;
    if (this.seqs.length <= i) {
      this.seqs = ensure(this.seqs, i + 1);
      this.levels = ensure(this.levels, i + 1);
      this.groupOf = ensure(this.groupOf, i + 1);
      this.times = ensure(this.times, i + 1);
      this.textLines = ensure(this.textLines, i + 1);
      this.textLength = ensure(this.textLength, i + 1);
    }
    this.seqs[i] = line.seq;
    const level = LEVELS.indexOf(line.level);
    this.levels[i] = level < 0 ? 1 : level;
    this.times[i] = line.time ? Date.parse(line.time) : NaN;
    const message = line.message ?? '';
    this.textLines[i] = Math.min(0xffff, lineCount(message));
    this.textLength[i] = message.length;
    this.messages.push(message);
    this.textChars += message.length;
    if (this.lower) this.lower.push(plainText(message).toLowerCase());
    this.trim();
    const key = `${line.stepId}\u0000${line.attempt || 1}`;
    let g = this.groupKeys.get(key);
    if (g === undefined) {
      g = this.groups.length;
      this.groups.push({ stepId: line.stepId, attempt: line.attempt || 1, lines: [], collapsed: false });
      this.groupKeys.set(key, g);
      this.groupShown.push(false);
    }
    this.groupOf[i] = g;
    this.groups[g].lines.push(i);
    if (!this.dirty) {
      if (g === this.groups.length - 1) this.appendRow(i, g);
      else if (this.passes(i) && !this.groups[g].collapsed) this.dirty = true;
    }
    const f = this.find;
    if (f.local && f.seqs.length < MATCH_CAP && f.pattern.test(this.messages[i])) {
      f.seqs.push(line.seq); // a search answered here counts the lines that come after it
      this.onFindChange?.();
    }
    if (this.target !== null && line.seq === this.target.seq && this.target.waiting) this.reveal(line.seq, this.target.kind);
    this.schedule();
  }

  /**
   * Drops the text of the oldest lines that hold it until what is held fits the budget; the
   * newest line keeps its text whatever its size (the view that follows the end needs it).
   */
  trim() {
    while (this.textChars > this.budget && this.heldFrom < this.length - 1) {
      const i = this.heldFrom++;
      this.textChars -= this.messages[i].length;
      this.messages[i] = null;
      if (this.lower) {
        // Its match is known here: the server is asked only about lines dropped before the filter began.
        if (this.lower[i].includes(this.textFilter.text)) this.markMatch(this.textFilter, i);
        this.lower[i] = null;
      }
    }
  }

  /** Marks line i as having filter f's text (its array grown to hold it). */
  markMatch(f, i) {
    f.matched = ensure(f.matched ?? new Uint8Array(0), i + 1);
    f.matched[i] = 1;
  }

  /** Extends the rows with line i of the last group, when it passes. */
  appendRow(i, g) {
    if (!this.passes(i) || this.groups[g].collapsed && this.groupShown[g]) return;
    if (!this.groupShown[g]) {
      this.groupShown[g] = true;
      this.pushRow(-1 - g);
      if (this.groups[g].collapsed) return;
    }
    this.pushRow(i);
  }

  pushRow(entry) {
    const n = this.rowCount++;
    this.rows = ensure(this.rows, n + 1);
    this.tops = ensure(this.tops, n + 2);
    this.rows[n] = entry;
    this.tops[n + 1] = this.tops[n] + this.height(entry);
  }

  /** Rebuilds the rows from the groups: after a filter, a collapse, a wrap change, or a line of an earlier group. */
  rebuild() {
    this.rowCount = 0;
    this.tops[0] = 0;
    this.groupShown.fill(false);
    for (let g = 0; g < this.groups.length; g++) {
      const group = this.groups[g];
      for (const i of group.lines) {
        if (!this.passes(i)) continue;
        if (!this.groupShown[g]) {
          this.groupShown[g] = true;
          this.pushRow(-1 - g);
          if (group.collapsed) break;
        }
        this.pushRow(i);
      }
    }
    this.dirty = false;
    this.lastRebuild = performance.now();
  }

  passes(i) {
    const f = this.filter;
    if (this.levels[i] < LEVELS.indexOf(f.minLevel)) return false;
    if (f.stepId && this.groups[this.groupOf[i]].stepId !== f.stepId) return false;
    if (f.text && !this.matches(i)) return false;
    return true;
  }

  /** Whether line i has the text filter's text: as shown here while held, as the server (or the page when it dropped it) said once dropped. */
  matches(i) {
    const f = this.textFilter;
    return i < this.heldFrom ? f.matched?.[i] === 1 : this.lower[i].includes(f.text);
  }

  /**
   * A row's height in px: a header one line; a line as many as its message shows. Wrapped, a
   * line whose text is neither held nor fetched back is guessed from its length (guessedRows).
   */
  height(entry) {
    if (entry < 0) return ROW;
    if (!this.wrap) return ROW * this.textLines[entry];
    const columns = this.columns || 80;
    const text = this.messages[entry] ?? this.fetched.get(entry);
    return ROW * (text === undefined ? this.guessedRows(entry, columns) : wrappedRows(text, columns));
  }

  /**
   * The rows a line takes wrapped, from its length and text lines alone: exact for a message of
   * one line, at least as many as each line one row and its characters need for more (how they
   * are shared among its lines is not kept).
   */
  guessedRows(i, columns) {
    const lines = this.textLines[i];
    return Math.max(lines, Math.ceil((this.textLength[i] - (lines - 1)) / columns));
  }

  // --- the view's settings -------------------------------------------------------------------

  setFilter(change) {
    const text = change.text !== undefined && change.text !== this.filter.text;
    Object.assign(this.filter, change);
    if (text) this.filterText();
    this.dirty = true;
    this.schedule();
  }

  /**
   * Starts the text filter on its (new) text: the held lines' text as shown, lower case, to look
   * in here (a copy of every held message: only while a filter asks), and the server's matches
   * among the dropped lines. A newer text cancels an older one's paging.
   */
  filterText() {
    const text = this.filter.text;
    const f = { text, matched: null, paging: false, error: null };
    this.textFilter = f;
    this.lower = null;
    if (!text) return;
    this.lower = new Array(this.length).fill(null);
    for (let i = this.heldFrom; i < this.length; i++) this.lower[i] = plainText(this.messages[i]).toLowerCase();
    if (this.heldFrom > 0) this.matchDropped(f, this.seqs[this.heldFrom - 1]);
  }

  /**
   * Asks the server which step_logs up to seq `last` have the filter's text (`?q=`, page after
   * page), marking them, and rebuilding the list as each page comes; stops when a newer filter
   * took over. A failure is said by the counter.
   */
  async matchDropped(f, last) {
    f.matched = new Uint8Array(this.heldFrom);
    f.paging = true;
    let after = 0;
    try {
      for (;;) {
        const page = await this.stepLogs({ limit: 1000, q: f.text, after });
        if (this.textFilter !== f) return;
        for (const e of page.events) {
          const i = e.seq <= last ? this.indexOf(e.seq) : -1;
          if (i >= 0) this.markMatch(f, i);
        }
        if (page.events.length) this.dirty = true;
        this.schedule();
        // next is null at the run's end, the same as after while nothing more is there yet.
        if (page.next === null || page.next === after || page.next >= last) break;
        after = page.next;
      }
    } catch (err) {
      if (this.textFilter !== f) return;
      f.error = err.message;
    }
    f.paging = false;
    this.schedule();
  }

  setWrap(on) {
    this.wrap = on;
    localStorage.setItem(PREFS + 'wrap', String(on));
    this.applyClasses();
    this.dirty = true;
    this.schedule();
  }

  setTimes(on) {
    this.showTimes = on;
    localStorage.setItem(PREFS + 'times', String(on));
    this.applyClasses();
    this.columns = 0;
    if (this.wrap) this.dirty = true;
    this.schedule();
  }

  applyClasses() {
    this.viewport.classList.toggle('wrap', this.wrap);
    this.viewport.classList.toggle('no-times', !this.showTimes);
  }

  toggleGroup(g) {
    this.groups[g].collapsed = !this.groups[g].collapsed;
    this.dirty = true;
    this.schedule();
  }

  /** While time-travelling: the lines after this seq are dimmed (null: none). */
  setCutoff(seq) {
    this.cutoff = seq;
    this.schedule();
  }

  setFollow(on) {
    this.follow = on;
    this.onFollowChange?.(on);
    if (on) this.schedule();
  }

  // --- drawing -------------------------------------------------------------------------------

  schedule() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => { this.pending = false; this.render(); });
  }

  onScroll() {
    const v = this.viewport;
    const atBottom = v.scrollTop + v.clientHeight >= v.scrollHeight - ROW;
    if (this.programmatic) {
      this.programmatic = false;
    } else {
      this.viewY = v.scrollTop * this.scale;
      if (atBottom !== this.follow) this.setFollow(atBottom);
    }
    this.render();
  }

  /** The characters a wrapped message column holds, measured from one drawn row. */
  measure() {
    const probe = el('div', { class: 'log-row' }, el('span', { class: 'log-gutter', text: '0' }),
      el('time', { text: '00:00:00.000' }), el('span', { class: 'log-step', text: 'x' }), el('span', { class: 'log-level', text: 'info' }),
      el('span', { class: 'log-msg', text: 'x'.repeat(100) }));
    probe.style.visibility = 'hidden';
    this.rowsNode.append(probe);
    const msg = probe.querySelector('.log-msg');
    const charWidth = msg.scrollWidth / 100 || 8;
    const row = probe.getBoundingClientRect();
    const left = msg.getBoundingClientRect().left - row.left;
    probe.remove();
    // The step column is at most 10em wide: the rest of the row, less its padding, is the message's.
    const width = this.viewport.clientWidth - left - 16;
    this.columns = Math.max(20, Math.floor(width / charWidth));
  }

  render() {
    const v = this.viewport;
    if (this.wrap && !this.columns && v.clientWidth) { this.measure(); this.dirty = true; }
    if (this.dirty) {
      const since = performance.now() - this.lastRebuild;
      // A line of an earlier group waits for the next rebuild; a filter or a click does not.
      if (!this.settled && since < REBUILD_MS && this.rowCount > 0) {
        setTimeout(() => this.schedule(), REBUILD_MS - since);
      } else {
        this.rebuild();
      }
    }
    this.settled = false;
    const { height, scale } = this.layout();
    this.count.textContent = this.counterText();
    this.empty.hidden = this.length > 0;
    if (this.follow) {
      const bottom = Math.max(0, height - v.clientHeight);
      if (Math.abs(v.scrollTop - bottom) > 1) { this.programmatic = true; v.scrollTop = bottom; }
      this.viewY = v.scrollTop * scale;
    } else if (Math.abs(v.scrollTop * scale - this.viewY) > scale) {
      // Lines added while scaled move what a scrollTop means: the view stays on its lines.
      this.programmatic = true;
      v.scrollTop = this.viewY / scale;
    }
    const y = Math.min(this.viewY, Math.max(0, this.tops[this.rowCount] - v.clientHeight));
    let first = this.rowAt(y);
    const last = Math.min(this.rowCount, this.rowAt(y + v.clientHeight) + 6);
    first = Math.max(0, first - 5);
    // The rows are placed where they are in the list, shifted by the scale's difference.
    this.rowsNode.style.transform = `translateY(${this.tops[first] - y + v.scrollTop}px)`;
    const frag = document.createDocumentFragment();
    const missing = [];
    for (let r = first; r < last; r++) {
      const entry = this.rows[r];
      frag.append(this.drawRow(entry, this.tops[r + 1] - this.tops[r]));
      if (entry >= 0 && entry < this.heldFrom && !this.fetched.has(entry)) missing.push(entry);
    }
    this.rowsNode.replaceChildren(frag);
    if (missing.length) this.fetchText(missing);
  }

  /**
   * Sizes the scroll range to the rows, and says how positions in the list map onto it: past
   * MAX_HEIGHT, scrollTop maps onto the list proportionally (`scale` list px per scroll px).
   */
  layout() {
    const v = this.viewport;
    const total = this.tops[this.rowCount];
    const height = Math.min(total, MAX_HEIGHT);
    this.spacer.style.height = `${height}px`;
    const scale = total > MAX_HEIGHT ? (total - v.clientHeight) / (MAX_HEIGHT - v.clientHeight) : 1;
    this.scale = scale;
    return { height, scale };
  }

  /** The index of the row at position y (px in the list). */
  rowAt(y) {
    let lo = 0;
    let hi = this.rowCount;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.tops[mid + 1] <= y) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  counterText() {
    const shown = this.rowCount - this.groupShown.filter(Boolean).length;
    const lines = this.length === 1 ? 'line' : 'lines';
    const f = this.textFilter;
    const note = f.paging ? ', filtering…' : f.error ? ` (the earlier lines could not be filtered: ${f.error})` : '';
    return (shown === this.length ? `${this.length} ${lines}` : `${shown} of ${this.length} ${lines}`) + note;
  }

  /** A row, `height` px high: the height the list gave it, so that rows never overlap. */
  drawRow(entry, height) {
    if (entry < 0) {
      const g = -1 - entry;
      const group = this.groups[g];
      const name = this.stepName(group.stepId);
      return el('div', { class: 'log-group', 'data-group': g, 'data-step': group.stepId, 'data-attempt': group.attempt },
        el('button', { type: 'button', class: 'log-toggle', 'aria-expanded': String(!group.collapsed), 'data-group': g,
          text: `${group.collapsed ? '▸' : '▾'} ${name}${group.attempt > 1 ? ` · attempt ${group.attempt}` : ''}` }),
        el('span', { class: 'muted', text: ` ${group.lines.length} ${group.lines.length === 1 ? 'line' : 'lines'}` }));
    }
    const seq = this.seqs[entry];
    const level = LEVELS[this.levels[entry]];
    const classes = [`log-row level-${level}`];
    if (this.target?.seq === seq) classes.push('log-target');
    if (this.cutoff != null && seq > this.cutoff) classes.push('log-later');
    if (this.find.current >= 0 && this.find.seqs[this.find.current] === seq) classes.push('log-current');
    const row = el('div', { class: classes.join(' '), 'data-seq': seq },
      el('a', { class: 'log-gutter', href: here(`#seq=${seq}`), 'aria-label': `line ${seq}`, text: String(seq) }),
      this.time(entry),
      el('span', { class: 'log-step', text: this.groups[this.groupOf[entry]].stepId }),
      el('span', { class: 'log-level', text: level }),
      this.message(entry));
    if (height > ROW) row.style.height = `${height}px`;
    return row;
  }

  /** A line's time: ISO in the attribute (the server's times have ms, so it reads as sent), the clock shown. */
  time(i) {
    const ms = this.times[i];
    return el('time', { datetime: Number.isNaN(ms) ? null : new Date(ms).toISOString(), text: clock(ms) });
  }

  /** A line's message: its text with the search's matches marked, or its colours when it has control characters. */
  message(i) {
    const message = this.textOf(i);
    if (message === undefined) {
      return el('span', { class: 'log-msg log-pending', text: this.failures ? '… could not be loaded: trying again' : '…' });
    }
    const span = el('span', { class: 'log-msg' });
    const q = this.find.query;
    if (q && isPlain(message.replace(/\r?\n/g, ''))) {
      const lower = message.toLowerCase();
      let from = 0;
      for (let at = lower.indexOf(q); at >= 0; at = lower.indexOf(q, at + q.length)) {
        span.append(message.slice(from, at), el('mark', { text: message.slice(at, at + q.length) }));
        from = at + q.length;
      }
      span.append(message.slice(from));
      return span;
    }
    render(span, message, { lines: true });
    return span;
  }

  /** A line's text: held, or fetched back (which makes it the most recently drawn); undefined when neither. */
  textOf(i) {
    const held = this.messages[i];
    if (held !== null) return held;
    const text = this.fetched.get(i);
    if (text !== undefined) {
      this.fetched.delete(i);
      this.fetched.set(i, text);
    }
    return text;
  }

  // --- dropped lines' text -------------------------------------------------------------------

  /**
   * Asks the server for the text of these dropped lines (indices, the rows drawn without it),
   * from the first on: one request at a time (the render after its answer asks for what is
   * still missing, which a page cut at 4 MiB or FETCH_LIMIT leaves), and after a failure not
   * before its backoff.
   */
  fetchText(missing) {
    // A page left (its list no longer shown) asks for nothing more, even after a failure.
    if (this.fetching || !this.viewport.isConnected) return;
    const wait = this.retryAt - performance.now();
    if (wait > 0) {
      this.retryTimer ??= setTimeout(() => { this.retryTimer = null; this.schedule(); }, wait);
      return;
    }
    this.fetching = true;
    const from = Math.min(...missing);
    const limit = Math.min(FETCH_LIMIT, Math.max(...missing) - from + 1);
    this.stepLogs({ after: this.seqs[from] - 1, limit })
      .then((page) => {
        this.took(page.events, new Set(missing));
        // An answer without the first line asked for (a page the server cut short of it) counts as a failure: no tight loop.
        if (this.textOf(from) === undefined) this.failed(); else this.failures = 0;
      }, () => this.failed())
      .finally(() => { this.fetching = false; this.schedule(); });
  }

  /** A page of this run's step_logs (`GET …/events?types=step_log&…`): `params` the other query parameters. */
  stepLogs(params) {
    const query = Object.entries(params).map(([name, value]) => `&${name}=${encodeURIComponent(value)}`).join('');
    return api(`/api/v2/workflows/runs/${encodeURIComponent(this.runId)}/events?types=step_log${query}`);
  }

  /**
   * Keeps the text of the lines asked for among these step_logs; a wrapped row whose guessed
   * height was wrong rebuilds the list. Only those: the lines between them (another step's,
   * whose group is drawn elsewhere) would crowd the rows in view out of the cache.
   */
  took(events, wanted) {
    const columns = this.columns || 80;
    for (const e of events) {
      const i = this.indexOf(e.seq);
      if (!wanted.has(i) || this.fetched.has(i)) continue;
      const text = e.payload?.message ?? '';
      this.fetched.set(i, text);
      this.fetchedChars += text.length;
      if (this.wrap && this.textLines[i] > 1 && wrappedRows(text, columns) !== this.guessedRows(i, columns)) this.dirty = true;
    }
    // The least recently drawn go first; the rows in view were drawn last.
    for (const [i, text] of this.fetched) {
      if (this.fetchedChars <= CACHE_CHARS) break;
      this.fetched.delete(i);
      this.fetchedChars -= text.length;
    }
  }

  /** A failed request: the placeholders say so, and the next waits longer each time. */
  failed() {
    this.failures++;
    this.retryAt = performance.now() + Math.min(RETRY_MAX_MS, RETRY_MS * 2 ** (this.failures - 1));
  }

  onClick(ev) {
    const toggle = ev.target.closest('.log-toggle');
    if (toggle) {
      this.settled = true;
      this.toggleGroup(Number(toggle.dataset.group));
      return;
    }
    const gutter = ev.target.closest('.log-gutter');
    if (gutter) {
      // A link to the line: the address says it, without a navigation or a scroll jump.
      ev.preventDefault();
      history.replaceState(history.state, '', here(`#seq=${gutter.closest('.log-row').dataset.seq}`));
      this.reveal(Number(gutter.closest('.log-row').dataset.seq), 'link', { scroll: false });
    }
  }

  // --- finding lines -------------------------------------------------------------------------

  /** The index of the line with this seq, or -1 when it has not arrived. */
  indexOf(seq) {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.seqs[mid] < seq) lo = mid + 1; else hi = mid;
    }
    return lo < this.length && this.seqs[lo] === seq ? lo : -1;
  }

  /**
   * Scrolls to the line with this seq and highlights it (`kind` 'link' for a deep link, 'find'
   * for a search's current match), opening its group and clearing filters that hide it. A seq
   * that has not arrived yet is revealed when it does. Returns whether it is shown now.
   */
  reveal(seq, kind = 'link', { scroll = true } = {}) {
    const i = this.indexOf(seq);
    this.target = { seq, kind, waiting: i < 0 };
    if (i < 0) { this.schedule(); return false; }
    this.setFollow(false);
    const group = this.groups[this.groupOf[i]];
    if (group.collapsed) { group.collapsed = false; this.dirty = true; }
    if (!this.passes(i)) {
      this.filter = { minLevel: 'debug', stepId: '', text: '' };
      this.filterText();
      this.onFilterReset?.();
      this.dirty = true;
    }
    if (this.dirty) this.rebuild();
    if (scroll) {
      let r = 0;
      while (r < this.rowCount && this.rows[r] !== i) r++;
      const v = this.viewport;
      // Sized first: a scrollTop past the range drawn last would be cut back to its end.
      const { scale } = this.layout();
      this.viewY = Math.max(0, this.tops[r] - v.clientHeight / 2 + ROW);
      this.programmatic = true;
      v.scrollTop = this.viewY / scale;
    }
    this.settled = true;
    this.render();
    return true;
  }

  /**
   * Searches the whole history on the server for `query` (case-insensitive): the matches'
   * seqs, page after page, then the first match at or after the line in view. Returns when
   * the first page is in.
   */
  async search(query) {
    const q = query.trim().toLowerCase();
    const find = { query: q, seqs: [], more: false, current: -1, token: this.find.token + 1, local: false };
    this.find = find;
    if (!q) { this.onFindChange?.(); this.render(); return; }
    if (this.complete && this.heldFrom === 0) {
      // The page holds the whole history, every line's text (and is sent what comes next): the server would say the same.
      find.local = true;
      find.pattern = new RegExp(q.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
      for (let i = 0; i < this.length && find.seqs.length < MATCH_CAP; i++) {
        if (find.pattern.test(this.messages[i])) find.seqs.push(this.seqs[i]);
      }
      find.more = find.seqs.length >= MATCH_CAP;
      if (find.seqs.length) this.goFromView();
      else this.render();
      this.onFindChange?.();
      return;
    }
    let after = 0;
    let first = true;
    do {
      const page = await this.stepLogs({ limit: 1000, q, after });
      if (this.find !== find) return; // a newer search took over
      for (const e of page.events) find.seqs.push(e.seq);
      // next is null once the run has ended and all was read; while it goes on, the same seq
      // as asked says that nothing more is there now.
      const moved = page.next !== null && page.next !== after;
      after = page.next;
      find.more = moved && find.seqs.length < MATCH_CAP;
      if (first && find.seqs.length) {
        first = false;
        this.goFromView();
      }
      this.onFindChange?.();
    } while (find.more && (first || find.seqs.length < MATCH_CAP));
    if (first) this.render();
  }

  /** Moves to the first match at or after the line in view (the first of all when none is). */
  goFromView() {
    const f = this.find;
    const entry = this.rows[this.rowAt(this.viewY)];
    const inView = entry >= 0 && this.rowCount ? this.seqs[entry] : 0;
    const k = f.seqs.findIndex((seq) => seq >= inView);
    this.go(k < 0 && !f.more ? 0 : Math.max(0, k));
  }

  /** Whether the page holds the whole history up to now (the stream has caught up): a search is then answered here. */
  setComplete(on) {
    this.complete = on;
  }

  /** Moves to the match `k` (wrapping), and reveals it. */
  go(k) {
    const n = this.find.seqs.length;
    if (!n) return;
    this.find.current = ((k % n) + n) % n;
    this.reveal(this.find.seqs[this.find.current], 'find');
    this.onFindChange?.();
  }

  next() { this.go(this.find.current + 1); }
  previous() { this.go(this.find.current - 1); }

  /** "3 of 120", "3 of 120+", "no matches", or '' with no search. */
  findText() {
    const f = this.find;
    if (!f.query) return '';
    if (!f.seqs.length) return f.more ? 'searching…' : 'no matches';
    return `${f.current + 1} of ${f.seqs.length}${f.more || f.seqs.length >= MATCH_CAP ? '+' : ''}`;
  }

  /** The seqs of every line, in order: for tests. */
  allSeqs() {
    return Array.from(this.seqs.subarray(0, this.length));
  }
}

export { LEVELS };
