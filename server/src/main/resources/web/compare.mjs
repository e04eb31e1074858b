// Comparing two runs of a workflow (docs/api.md, "Reading runs": GET …/runs/compare?a=&b=): the
// page /compare?a=RUN&b=RUN, and the run page's control that leads there (another run of the
// workflow, or in one click the last success for a run that failed). Text only, via textContent;
// a log line as the run page shows it (ansi.mjs: its colours, and its other control characters as
// text).
import { api } from './api.mjs';
import { render } from './ansi.mjs';
import { el, duration, dateTime, value, statusBadge } from './format.mjs';
import { runLink } from './retry.mjs';
import { href } from './routes.mjs';

const RUNS = '/api/v2/workflows/runs';
const PICK_LIMIT = 50;   // runs a picker offers: the newest
const CONTEXT = 3;       // unchanged lines kept either side of a change; a longer stretch is folded

const compareHref = (a, b) => href(`/compare?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`);

/** A run in a picker's words: short id, status, when it was created. */
function runLabel(r) {
  return `${r.runId.slice(0, 8)} · ${r.status} · ${dateTime(r.createdAt)}`;
}

async function runsOf(workflowId, extra = '') {
  return (await api(`${RUNS}?workflowId=${encodeURIComponent(workflowId)}&limit=${PICK_LIMIT}${extra}`)).runs;
}

/**
 * The run page's way to a comparison: "Compare…" opens a list of the workflow's other runs
 * (read when opened), and for a run that ended otherwise than success, "Compare with last
 * success", which says so when no run of the workflow has succeeded.
 */
export class CompareControl {
  constructor(runId, workflowId, navigate) {
    this.runId = runId;
    this.workflowId = workflowId;
    this.navigate = navigate;
    this.loaded = false;
    this.select = el('select', { id: 'compare-with', class: 'compare-with', onchange: () => this.pick() });
    this.go = el('a', { class: 'button compare-go', text: 'Compare', hidden: true });
    this.note = el('span', { class: 'compare-note', role: 'status', 'aria-live': 'polite' });
    this.lastSuccess = el('button', { type: 'button', class: 'compare-success', hidden: true,
      text: 'Compare with last success', onclick: () => this.withLastSuccess() });
    this.details = el('details', { class: 'compare-pick', ontoggle: () => this.load() },
      el('summary', { text: 'Compare…' }),
      el('div', { class: 'compare-form' },
        el('label', { for: 'compare-with', text: 'with run' }), this.select, this.go));
    this.node = el('div', { class: 'compare' }, this.lastSuccess, this.details, this.note);
  }

  /** The live status: the one-click comparison is for a run that ended otherwise than success. */
  update(status) {
    this.lastSuccess.hidden = !['failed', 'cancelled', 'interrupted'].includes(status);
  }

  async load() {
    if (!this.details.open || this.loaded) return;
    this.loaded = true;
    this.select.replaceChildren(el('option', { value: '', text: 'reading the runs…' }));
    try {
      const others = (await runsOf(this.workflowId)).filter((r) => r.runId !== this.runId);
      this.select.replaceChildren(el('option', { value: '', text: others.length ? 'pick a run' : 'no other run of this workflow' }),
        ...others.map((r) => el('option', { value: r.runId, 'data-status': r.status, text: runLabel(r) })));
    } catch (err) {
      this.loaded = false;
      this.select.replaceChildren(el('option', { value: '', text: `could not read the runs: ${err.message}` }));
    }
  }

  pick() {
    this.go.hidden = !this.select.value;
    if (this.select.value) this.go.href = compareHref(this.runId, this.select.value);
  }

  async withLastSuccess() {
    this.lastSuccess.disabled = true;
    this.note.textContent = '';
    try {
      const [best] = await runsOf(this.workflowId, '&status=success').then((runs) => runs.slice(0, 1));
      if (best) this.navigate(compareHref(this.runId, best.runId));
      else this.note.textContent = 'No run of this workflow has succeeded yet: there is no success to compare with.';
    } catch (err) {
      this.note.textContent = `Could not read the runs: ${err.message}`;
    } finally {
      this.lastSuccess.disabled = false;
    }
  }
}

/** The compare page: both runs' summaries, their steps side by side, the variables that differ. */
export async function showCompare(main, a, b, navigate) {
  if (!a) {
    main.replaceChildren(el('h1', { text: 'Compare runs' }),
      el('p', { text: 'Open a run and choose Compare… to pick the run to compare it with.' }),
      el('p', {}, el('a', { href: href('/'), text: 'All runs' })));
    return;
  }
  const reply = b ? await api(`${RUNS}/compare?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`) : null;
  const runA = reply?.a ?? await api(`${RUNS}/${encodeURIComponent(a)}`);
  const runs = await runsOf(runA.workflowId).catch(() => []);
  const picker = (side, current) => {
    const known = runs.some((r) => r.runId === current);
    const chosen = side === 'a' ? runA : reply?.b;
    return el('select', { id: `cmp-pick-${side}`, class: 'cmp-pick', 'data-side': side, onchange: (ev) => {
      const other = side === 'a' ? b : a;
      if (ev.target.value) navigate(side === 'a' ? compareHref(ev.target.value, other) : compareHref(other, ev.target.value));
    } },
    current ? null : el('option', { value: '', text: 'pick a run' }),
    current && !known && chosen ? el('option', { value: current, text: runLabel(chosen) }) : null,
    runs.map((r) => el('option', { value: r.runId, text: runLabel(r), selected: r.runId === current })));
  };

  const name = runA.workflowName || runA.workflowId;
  main.replaceChildren(
    el('p', { class: 'crumbs' }, el('a', { href: href(`/runs/${encodeURIComponent(a)}`), text: '← Back to the run' })),
    el('h1', {}, 'Compare runs of ', el('a', { href: href(`/workflows/${encodeURIComponent(runA.workflowId)}`), text: name })),
    el('div', { class: 'cmp-runs' }, summaryCard('a', runA, picker('a', a)), summaryCard('b', reply?.b, picker('b', b))),
    reply ? comparison(reply) : el('p', { class: 'muted', text: 'Pick the run to compare with.' }));
}

function summaryCard(side, run, picker) {
  return el('section', { class: 'cmp-run panel', 'data-side': side, 'aria-label': `Run ${side.toUpperCase()}` },
    el('h2', {}, el('span', { class: `cmp-side cmp-side-${side}`, text: side.toUpperCase() }), ' ',
      run ? runLink(run.runId) : null, ' ', run ? statusBadge(run.status) : null),
    el('label', { for: `cmp-pick-${side}`, class: 'sr-only', text: `Run ${side.toUpperCase()}` }), picker,
    run ? el('dl', { class: 'facts' },
      el('div', {}, el('dt', { text: 'Started' }), el('dd', { text: dateTime(run.startedAt) })),
      el('div', {}, el('dt', { text: 'Duration' }), el('dd', { class: 'cmp-duration', text: duration(run.duration) })),
      el('div', {}, el('dt', { text: 'Version' }), el('dd', { text: `v${run.workflowVersion}` })),
      el('div', {}, el('dt', { text: 'Inputs' }), el('dd', { class: 'cmp-inputs', text: inputsText(run.inputs) }))) : null,
    run?.error ? el('p', { class: 'run-error', text: run.error }) : null);
}

function inputsText(inputs) {
  const names = Object.keys(inputs ?? {}).sort();
  return names.length ? names.map((k) => `${k} = ${value(inputs[k])}`).join(', ') : 'none';
}

function comparison(reply) {
  // One scale for every bar of both runs: the longest step of either.
  const longest = Math.max(1, ...reply.steps.flatMap((s) => [s.a?.duration ?? 0, s.b?.duration ?? 0]));
  return el('div', { class: 'cmp-body' },
    el('section', { class: 'panel cmp-steps', 'aria-labelledby': 'cmp-steps-h' },
      el('h2', { id: 'cmp-steps-h', text: 'Steps' }),
      el('div', { class: 'cmp-step cmp-step-head', 'aria-hidden': 'true' },
        el('span', { text: 'Step' }), el('span', { text: 'A' }), el('span', { text: 'B' })),
      reply.steps.map((s) => stepRow(s, longest))),
    el('section', { class: 'panel cmp-vars', 'aria-labelledby': 'cmp-vars-h' },
      el('h2', { id: 'cmp-vars-h', text: 'Variables that differ' }),
      reply.variables.length
        ? el('table', {}, el('thead', {}, el('tr', {}, el('th', { text: 'Name' }), el('th', { text: 'A' }), el('th', { text: 'B' }))),
          el('tbody', {}, reply.variables.map((v) => el('tr', { 'data-var': v.name },
            el('th', { scope: 'row' }, el('code', { text: v.name })), varCell(v, 'a'), varCell(v, 'b')))))
        : el('p', { class: 'muted', text: 'The variables ended the same.' })));
}

function varCell(v, side) {
  // A variable one run has not set comes as null (a set step's null deletes, so none holds null).
  return el('td', { class: `cmp-var-${side}` }, v[side] !== undefined && v[side] !== null
    ? el('code', { text: value(v[side]) }) : el('span', { class: 'muted', text: 'not set' }));
}

function stepRow(s, longest) {
  const differs = s.a?.status !== s.b?.status;
  return el('section', { class: `cmp-step${differs ? ' cmp-differs' : ''}`, 'data-step': s.stepId,
    'data-differs': differs ? 'true' : null, 'aria-label': `Step ${s.stepId}` },
  el('span', { class: 'cmp-step-name' }, el('code', { text: s.stepId })),
  stepSide(s.a, 'a', longest), stepSide(s.b, 'b', longest),
  outputsThatDiffer(s), logDiff(s));
}

function stepSide(side, name, longest) {
  if (!side) return el('div', { class: `cmp-cell cmp-${name}`, 'data-status': 'absent' }, el('span', { class: 'muted', text: 'not in this run' }));
  const ms = side.duration;
  return el('div', { class: `cmp-cell cmp-${name}`, 'data-status': side.status },
    el('span', { class: 'cmp-status' }, statusBadge(side.status)),
    el('span', { class: 'cmp-attempt muted', text: side.attempt > 1 ? `attempt ${side.attempt}` : '' }),
    el('span', { class: 'cmp-dur', text: ms === null || ms === undefined ? '' : duration(ms) }),
    el('span', { class: 'track cmp-track', 'aria-hidden': 'true' },
      el('span', { class: `bar cmp-bar status-${side.status}`,
        style: `width: ${ms ? Math.max(0.5, (ms / longest) * 100) : 0}%` })));
}

/** The outputs whose values differ between the two runs (an output only one run has differs). */
function outputsThatDiffer(s) {
  const oa = s.a?.outputs ?? {};
  const ob = s.b?.outputs ?? {};
  const names = [...new Set([...Object.keys(oa), ...Object.keys(ob)])].sort()
    .filter((k) => JSON.stringify(oa[k]) !== JSON.stringify(ob[k]));
  if (!names.length) return null;
  return el('dl', { class: 'cmp-outputs' }, el('dt', { class: 'cmp-outputs-head', text: 'Outputs that differ' }),
    names.map((k) => el('div', { 'data-output': k },
      el('dt', {}, el('code', { text: k })),
      el('dd', {}, el('code', { class: 'cmp-old', text: k in oa ? value(oa[k]) : '(none)' }), ' → ',
        el('code', { class: 'cmp-new', text: k in ob ? value(ob[k]) : '(none)' })))));
}

const DIFF_CLASS = { ' ': 'diff-same', '-': 'diff-del', '+': 'diff-add' };

/**
 * A step's log as a line diff: collapsed when both runs logged the same, open when not; a stretch
 * of unchanged lines longer than 2 × CONTEXT + 1 is folded behind a button that shows it.
 */
function logDiff(s) {
  const ops = s.log ?? [];
  const removed = ops.filter((o) => o.op === '-').length;
  const added = ops.filter((o) => o.op === '+').length;
  const same = !removed && !added;
  const summary = !ops.length ? 'log: no lines in either run'
    : same ? `log: the same in both (${ops.length} ${ops.length === 1 ? 'line' : 'lines'})`
      : `log: ${removed} only in A, ${added} only in B`;
  const pre = el('pre', { class: 'diff cmp-diff' });
  const line = (o) => {
    const message = el('span', { class: 'diff-text' });
    render(message, o.text);
    return el('span', { class: `diff-line ${DIFF_CLASS[o.op]}`, 'data-op': o.op }, `${o.op} `, message);
  };
  for (const part of foldedParts(ops)) {
    if (!part.fold) { pre.append(...part.ops.map(line)); continue; }
    const button = el('button', { type: 'button', class: 'diff-fold', text: `… ${part.ops.length} unchanged lines`,
      onclick: () => button.replaceWith(...part.ops.map(line)) });
    pre.append(button);
  }
  return el('details', { class: 'cmp-log', open: !same, 'data-same': String(same) },
    el('summary', { text: summary }),
    s.truncated ? el('p', { class: 'muted', text: 'The log was too long to compare whole: the start is shown.' }) : null,
    ops.length ? pre : null);
}

/** The ops in parts to show: changes with CONTEXT unchanged lines around them, the rest folded. */
export function foldedParts(ops) {
  const parts = [];
  let i = 0;
  while (i < ops.length) {
    let j = i;
    while (j < ops.length && ops[j].op === ' ') j++;
    const run = ops.slice(i, j);
    if (run.length) {
      const before = i === 0 ? 0 : CONTEXT;          // lines after the change above
      const after = j === ops.length ? 0 : CONTEXT;  // lines before the change below
      const allSame = i === 0 && j === ops.length;   // nothing changed: shown whole (collapsed)
      if (!allSame && run.length > before + after + 1) {
        if (before) parts.push({ ops: run.slice(0, before) });
        parts.push({ fold: true, ops: run.slice(before, run.length - after) });
        if (after) parts.push({ ops: run.slice(run.length - after) });
      } else {
        parts.push({ ops: run });
      }
    }
    let k = j;
    while (k < ops.length && ops[k].op !== ' ') k++;
    if (k > j) parts.push({ ops: ops.slice(j, k) });
    i = k;
  }
  return parts;
}
