// The banner of a run that waits for a decision: each waiting approval step with its message, and
// Approve / Reject (with an optional comment) posted with the page's token. The banner only asks:
// a step leaves it when the run's stream brings the step's step_complete, never on the page's word,
// so that what the page shows is what the run did.
import { api, refusal } from './api.mjs';
import { el } from './format.mjs';

const MAX_COMMENT = 4096; // characters: the server refuses a longer comment (docs/api.md)

export class ApprovalBanner {
  constructor(runId) {
    this.runId = runId;
    this.entries = new Map(); // stepId -> entry (see entry()), one for each step waiting now
    this.next = 0;            // numbers the comment fields' ids
    // Once the server has said this token may not decide, it may decide no step of the run.
    this.refusal = el('p', { class: 'approval-refused', role: 'alert', hidden: true });
    this.list = el('div', { class: 'approval-list' });
    this.node = el('section', { class: 'approvals', 'aria-labelledby': 'approvals-h', hidden: true },
      el('h2', { id: 'approvals-h', text: 'Waiting for a decision' }), this.refusal, this.list);
  }

  /**
   * Shows the steps that wait now. A step already shown keeps its entry, and so what was typed in
   * its comment and where the focus is; a step that waits no longer leaves.
   * @param {object[]} steps the run's steps (runstate.mjs), in definition order
   */
  update(steps) {
    const waiting = steps.filter((s) => s.status === 'waiting');
    const ids = new Set(waiting.map((s) => s.stepId));
    for (const [id, entry] of this.entries) {
      if (!ids.has(id)) { entry.node.remove(); this.entries.delete(id); }
    }
    for (const s of waiting) {
      let entry = this.entries.get(s.stepId);
      if (!entry) {
        entry = this.entry(s);
        this.entries.set(s.stepId, entry);
        this.list.append(entry.node);
      }
      entry.message.textContent = s.waitingMessage || 'This step waits for a decision.';
    }
    this.node.hidden = waiting.length === 0;
  }

  entry(s) {
    const commentId = `approval-comment-${++this.next}`;
    const message = el('p', { class: 'approval-message' });
    const comment = el('textarea', { id: commentId, class: 'approval-comment', rows: '2', maxlength: String(MAX_COMMENT),
      spellcheck: 'true' });
    const note = el('p', { class: 'approval-note', role: 'status', 'aria-live': 'polite' });
    const approve = el('button', { type: 'button', class: 'primary approve', text: 'Approve' });
    const reject = el('button', { type: 'button', class: 'danger reject', text: 'Reject' });
    const form = el('div', { class: 'approval-form', hidden: !this.refusal.hidden },
      el('label', { for: commentId, text: 'Comment (optional, kept with the decision)' }), comment,
      el('div', { class: 'actions' }, approve, reject));
    const node = el('div', { class: 'approval', 'data-step': s.stepId },
      el('p', { class: 'approval-step' }, el('strong', { text: s.stepName }),
        s.stepName !== s.stepId ? el('span', { class: 'muted', text: ` ${s.stepId}` }) : null),
      message, form, note);
    const entry = { stepId: s.stepId, node, message, comment, note, form, buttons: [approve, reject] };
    approve.addEventListener('click', () => this.decide(entry, true));
    reject.addEventListener('click', () => this.decide(entry, false));
    return entry;
  }

  async decide(entry, approved) {
    const verb = approved ? 'approve' : 'reject';
    for (const b of entry.buttons) b.disabled = true;
    entry.note.textContent = approved ? 'Approving…' : 'Rejecting…';
    const comment = entry.comment.value.trim();
    try {
      await api(`/api/v2/workflows/runs/${encodeURIComponent(this.runId)}/steps/${encodeURIComponent(entry.stepId)}/${verb}`,
        { method: 'POST', body: comment ? { comment } : undefined });
      entry.form.hidden = true;
      entry.note.textContent = `${approved ? 'Approved' : 'Rejected'}: the run goes on once it has taken the decision in.`;
    } catch (err) {
      if (err.status === 401 || err.status === 403) {
        this.refuse(err);
      } else if (err.status === 409) {
        entry.form.hidden = true;
        entry.note.textContent = 'This step was decided already: the run goes on with that decision.';
      } else {
        for (const b of entry.buttons) b.disabled = false;
        entry.note.textContent = `Could not ${verb}: ${err.message}`;
      }
    }
  }

  /** The server refused this token a decision: say so once, for every step, and offer no buttons. */
  refuse(err) {
    this.refusal.textContent = refusal(err, { may: 'decide', doing: 'approving or rejecting' });
    this.refusal.hidden = false;
    for (const e of this.entries.values()) { e.form.hidden = true; e.note.textContent = ''; }
  }
}
