// Retrying a run from its page (docs/workflows.md, "Retrying a run"): the control that asks the
// server for a new run of an ended one, and the links between a run and its retries, both ways.
import { api, refusal } from './api.mjs';
import { el } from './format.mjs';
import { href } from './routes.mjs';

/** A run's link as the page shows it: its short id. */
export function runLink(runId) {
  return el('a', { class: 'run-link', href: href(`/runs/${encodeURIComponent(runId)}`) }, el('code', { text: runId.slice(0, 8) }));
}

/** What a retry started from, as the page words it: `failed`, `start` or `step deploy`. */
export function fromText(from) {
  return from === 'failed' || from === 'start' ? from : `step ${from}`;
}

/**
 * `Retry of 1a2b3c4d (from failed)` for a run a retry made, `Retried as 5e6f7a8b, …` for a run
 * retried since, each linking to the other run; null for neither.
 * @param {{retryOf: {runId: string, from: string}|null, retries: string[]}} detail GET /runs/{id}
 */
export function lineage(detail) {
  const retries = detail.retries ?? [];
  if (!detail.retryOf && !retries.length) return null;
  return el('div', { class: 'lineage' },
    detail.retryOf ? el('p', { class: 'retry-of' }, 'Retry of ', runLink(detail.retryOf.runId),
      ` (from ${fromText(detail.retryOf.from)})`) : null,
    retries.length ? el('p', { class: 'retries' }, 'Retried as ',
      retries.flatMap((id, i) => (i ? [', ', runLink(id)] : [runLink(id)]))) : null);
}

/**
 * Retry from failed (the default), from start or from a step: shown only once the run has ended,
 * as the page's state says (the stream's run_complete), never for a run still going. It posts with
 * the page's token; a token the server refuses is told so, once, and the control goes.
 */
export class RetryControl {
  /**
   * @param {string} runId
   * @param {string[]} stepIds the run's steps, in definition order: what "from step …" offers
   * @param {{onRetried(reply: object): void, onNotRetried(): void}} sink onRetried gets the 202's
   *   body (the new run); onNotRetried is called after any other answer, for the page to read the
   *   run again (someone else may have retried it meanwhile)
   */
  constructor(runId, stepIds, sink) {
    this.runId = runId;
    this.sink = sink;
    this.refused = false; // once the server has said this token may not retry, it may not
    this.from = el('select', { id: 'retry-from', class: 'retry-from', onchange: () => this.label() },
      el('option', { value: 'failed', text: 'from failed' }),
      el('option', { value: 'start', text: 'from start' }),
      stepIds.map((id) => el('option', { value: id, text: `from step ${id}` })));
    this.button = el('button', { type: 'button', class: 'retry-button', onclick: () => this.retry() });
    this.form = el('div', { class: 'retry-form' }, this.button,
      el('label', { for: 'retry-from', class: 'sr-only', text: 'Retry which steps' }), this.from);
    this.note = el('p', { class: 'retry-note', role: 'status', 'aria-live': 'polite' });
    this.node = el('div', { class: 'retry', hidden: true }, this.form, this.note);
    this.label();
  }

  label() { this.button.textContent = `Retry ${this.from.selectedOptions[0].textContent}`; }

  /** Shows the control for a run that has ended, and only then. */
  update(ended) {
    this.node.hidden = !ended;
    this.form.hidden = this.refused;
  }

  async retry() {
    this.button.disabled = true;
    this.note.textContent = 'Retrying…';
    try {
      const reply = await api(`/api/v2/workflows/runs/${encodeURIComponent(this.runId)}/retry`,
        { method: 'POST', body: { from: this.from.value } });
      this.note.textContent = `Retried as ${reply.runId.slice(0, 8)}.`;
      this.sink.onRetried(reply);
    } catch (err) {
      this.button.disabled = false;
      if (err.status === 401 || err.status === 403) {
        this.refused = true;
        this.form.hidden = true;
        this.note.textContent = refusal(err, { may: 'retry', doing: 'retrying' });
      } else if (err.status === 409) {
        this.note.textContent = 'This run has not ended: it can be retried once it has.';
      } else {
        this.note.textContent = `Could not retry: ${err.message}`;
      }
      this.sink.onNotRetried();
    }
  }
}
