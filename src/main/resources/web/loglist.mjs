// The log of a run: keeps every line, filters by level, step and text, and renders only the
// rows in view (fixed row height), so 100,000 lines cost no more to show than 30. A message's
// colours show and its other control sequences read as text (ansi.mjs); one without any control
// character, nearly all, is shown as it is.
import { el, clock } from './format.mjs';
import { plainText, render } from './ansi.mjs';

const ROW = 22; // px, matches .log-row in style.css
const LEVELS = ['debug', 'info', 'warn', 'error'];

export class LogList {
  constructor() {
    this.lines = [];     // {seq, time, stepId, level, message, text: as shown, lower: text in lower case}
    this.shown = [];     // indexes into lines that pass the filter
    this.filter = { minLevel: 'debug', stepId: '', text: '' };
    this.follow = true;
    this.pending = false;
    this.viewport = el('div', { class: 'log-viewport', tabindex: '0', role: 'log',
      'aria-label': 'Log lines', onscroll: () => this.onScroll() });
    this.spacer = el('div', { class: 'log-spacer' });
    this.rows = el('div', { class: 'log-rows' });
    this.spacer.append(this.rows);
    this.viewport.append(this.spacer);
    this.count = el('span', { class: 'muted log-count', 'aria-live': 'polite' });
    this.empty = el('p', { class: 'muted log-empty', text: 'No log lines yet.' });
  }

  add(line) {
    line.text = plainText(line.message);
    line.lower = line.text.toLowerCase();
    this.lines.push(line);
    if (this.passes(line)) this.shown.push(this.lines.length - 1);
    this.schedule();
  }

  setFilter(change) {
    Object.assign(this.filter, change);
    this.shown = [];
    for (let i = 0; i < this.lines.length; i++) if (this.passes(this.lines[i])) this.shown.push(i);
    this.schedule();
  }

  passes(line) {
    const f = this.filter;
    if (LEVELS.indexOf(line.level) < LEVELS.indexOf(f.minLevel)) return false;
    if (f.stepId && line.stepId !== f.stepId) return false;
    if (f.text && !line.lower.includes(f.text)) return false;
    return true;
  }

  setFollow(on) {
    this.follow = on;
    this.onFollowChange?.(on);
    if (on) this.schedule();
  }

  onScroll() {
    const v = this.viewport;
    const atBottom = v.scrollTop + v.clientHeight >= v.scrollHeight - ROW;
    if (this.programmatic) { this.programmatic = false; } else if (atBottom !== this.follow) this.setFollow(atBottom);
    this.render();
  }

  schedule() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => { this.pending = false; this.render(); });
  }

  render() {
    const v = this.viewport;
    const total = this.shown.length;
    this.spacer.style.height = `${total * ROW}px`;
    this.count.textContent = total === this.lines.length
      ? `${total} lines` : `${total} of ${this.lines.length} lines`;
    this.empty.hidden = total > 0;
    if (this.follow) {
      const bottom = Math.max(0, total * ROW - v.clientHeight);
      if (Math.abs(v.scrollTop - bottom) > 1) { this.programmatic = true; v.scrollTop = bottom; }
    }
    const first = Math.max(0, Math.floor(v.scrollTop / ROW) - 5);
    const last = Math.min(total, Math.ceil((v.scrollTop + v.clientHeight) / ROW) + 5);
    this.rows.style.transform = `translateY(${first * ROW}px)`;
    const frag = document.createDocumentFragment();
    for (let i = first; i < last; i++) {
      const line = this.lines[this.shown[i]];
      frag.append(el('div', { class: `log-row level-${line.level}`, 'data-seq': line.seq },
        el('time', { datetime: line.time, text: clock(line.time) }),
        el('span', { class: 'log-step', text: line.stepId }),
        el('span', { class: 'log-level', text: line.level }),
        this.message(line)));
    }
    this.rows.replaceChildren(frag);
  }

  /** A line's message: its text, or when it has control characters its colours and the rest shown. */
  message(line) {
    const span = el('span', { class: 'log-msg', title: line.text.length > 120 ? line.text : null });
    render(span, line.message);
    return span;
  }

  /** Scrolls so that the line with this seq is in view (if it passes the filter). */
  reveal(seq) {
    const i = this.shown.findIndex((idx) => this.lines[idx].seq === seq);
    if (i < 0) return false;
    this.setFollow(false);
    this.viewport.scrollTop = i * ROW;
    this.render();
    return true;
  }
}

export { LEVELS };
