// The front page: the workflows, and the runs (newest first) kept live from /api/v2/stream.
import { api, tokenTrouble } from './api.mjs';
import { el, duration, dateTime, statusBadge } from './format.mjs';
import { AllRunsStream } from './stream.mjs';
import { TRIGGER_TYPES, triggerParts } from './trigger.mjs';
import { href } from './routes.mjs';

const STATUSES = ['queued', 'running', 'waiting', 'success', 'failed', 'cancelled', 'interrupted'];
const TERMINAL = new Set(['success', 'failed', 'cancelled', 'interrupted']);
/** What the server takes as a workflow id: the pattern openapi.yaml gives (docs/workflows.md). */
const WORKFLOW_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const COLUMNS = ['Run', 'Workflow', 'Status', 'Trigger', 'Created', 'Duration', 'Last step'];

export async function showHome(main, hooks) {
  const params = new URLSearchParams(location.search);
  // A filter the server would refuse (a hand-made link) is dropped, and the address says so: the
  // selects show what the list holds.
  const given = (name, valid) => (valid(params.get(name) || '') ? params.get(name) || '' : '');
  const filter = { workflowId: given('workflowId', (v) => !v || WORKFLOW_ID.test(v)),
    status: given('status', (v) => !v || STATUSES.includes(v)), trigger: given('trigger', (v) => !v || TRIGGER_TYPES.includes(v)) };
  const kept = new URLSearchParams(Object.entries(filter).filter(([, v]) => v));
  if (kept.toString() !== params.toString()) history.replaceState(null, '', href(kept.size ? `/?${kept}` : '/'));
  const { workflows } = await api('/api/v2/workflows');

  const wfList = el('ul', { class: 'cards workflows' }, workflows.map((w) => el('li', { class: 'card', 'data-workflow': w.id },
    el('h3', {}, el('a', { href: href(`/workflows/${encodeURIComponent(w.id)}`), text: w.name || w.id })),
    el('p', { class: 'muted', text: `${w.id} · v${w.version} · ${w.steps} step${w.steps === 1 ? '' : 's'}` }),
    w.description ? el('p', { text: w.description }) : null,
    el('a', { class: 'button', href: href(`/workflows/${encodeURIComponent(w.id)}#execute`), text: 'Execute…' }))));
  if (!workflows.length) wfList.append(el('li', { class: 'muted', text: 'No workflows yet: PUT one to /api/v2/workflows/{id}.' }));

  const wfSelect = el('select', { id: 'f-workflow', name: 'workflowId' }, el('option', { value: '', text: 'all workflows' }),
    workflows.map((w) => el('option', { value: w.id, text: w.id, selected: w.id === filter.workflowId })),
    await otherWorkflow(filter.workflowId, workflows));
  const stSelect = el('select', { id: 'f-status', name: 'status' }, el('option', { value: '', text: 'any status' }),
    STATUSES.map((s) => el('option', { value: s, text: s, selected: s === filter.status })));
  const trSelect = el('select', { id: 'f-trigger', name: 'trigger' }, el('option', { value: '', text: 'any trigger' }),
    TRIGGER_TYPES.map((t) => el('option', { value: t, text: t, selected: t === filter.trigger })));
  const onFilter = () => {
    filter.workflowId = wfSelect.value; filter.status = stSelect.value; filter.trigger = trSelect.value;
    const q = new URLSearchParams(Object.entries(filter).filter(([, v]) => v));
    history.replaceState(null, '', href(q.size ? `/?${q}` : '/'));
    restart();
  };
  wfSelect.addEventListener('change', onFilter);
  stSelect.addEventListener('change', onFilter);
  trSelect.addEventListener('change', onFilter);
  const conn = el('span', { class: 'conn', role: 'status', 'aria-live': 'polite' });
  const tbody = el('tbody');
  const more = el('button', { type: 'button', class: 'more', text: 'Load older runs', hidden: true });

  main.replaceChildren(
    el('section', { 'aria-labelledby': 'wf-h' }, el('h1', { id: 'wf-h', text: 'Workflows' }), wfList),
    el('section', { 'aria-labelledby': 'runs-h' },
      el('div', { class: 'panel-head' }, el('h1', { id: 'runs-h', text: 'Runs' }), conn),
      el('form', { class: 'filters', onsubmit: (e) => e.preventDefault() },
        el('label', { for: 'f-workflow', text: 'Workflow' }), wfSelect,
        el('label', { for: 'f-status', text: 'Status' }), stSelect,
        el('label', { for: 'f-trigger', text: 'Trigger' }), trSelect),
      el('div', { class: 'table-wrap' }, el('table', { class: 'runs' },
        el('thead', {}, el('tr', {}, COLUMNS.map((h) => el('th', { scope: 'col', text: h })))), tbody)), more));

  const runs = new Map(); // runId -> summary (+ lastStep)
  let older; // the listing's cursor for the page after the oldest run shown; null when there is none
  // Runs known to have a step that waits (or waited) for a decision, kept across filters. Whether
  // such a run is running or waiting depends on all its steps (a step that waits beside one that
  // runs leaves the run running: runstate.mjs's rule), and the all-runs stream tells only of steps
  // that wait or end, so on each of their run_progress the page asks the store, which knows.
  // Other runs cost nothing.
  const approving = new Set();
  const asking = new Map(); // runId -> whether to ask again once the answer on its way has come
  // Runs deleted while the page was open (run_deleted), so that a listing read before the
  // deletion does not bring them back.
  const gone = new Set();

  function matches(r) {
    return (!filter.workflowId || r.workflowId === filter.workflowId) && (!filter.status || r.status === filter.status)
      && (!filter.trigger || r.trigger?.type === filter.trigger);
  }

  function render() {
    const list = [...runs.values()].filter(matches).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    tbody.replaceChildren(...list.map((r) => el('tr', { 'data-run': r.runId, 'data-status': r.status },
      el('td', {}, el('a', { href: href(`/runs/${r.runId}`), text: r.runId.slice(0, 8) })),
      el('td', { text: r.workflowId }),
      el('td', {}, statusBadge(r.status)),
      el('td', { class: 'run-trigger', 'data-trigger': r.trigger?.type }, triggerParts(r.trigger, { brief: true })),
      el('td', { text: dateTime(r.createdAt) }),
      el('td', { text: r.duration !== null && r.duration !== undefined ? duration(r.duration) : '' }),
      el('td', { class: 'muted', text: r.lastStep || '' }))));
    if (!list.length) tbody.append(el('tr', {}, el('td', { colspan: String(COLUMNS.length), class: 'muted', text: 'No runs.' })));
    more.hidden = !older;
  }

  /**
   * A page of the listing, newest first; `before` is a cursor from an earlier page. Returns the
   * cursor of the page after it (null after the last) and the creation time of its oldest run.
   */
  async function page(before) {
    const q = new URLSearchParams({ limit: '100' });
    if (filter.workflowId) q.set('workflowId', filter.workflowId);
    if (filter.status) q.set('status', filter.status);
    if (filter.trigger) q.set('trigger', filter.trigger);
    if (before) q.set('before', before);
    const { runs: found, next } = await api(`/api/v2/workflows/runs?${q}`);
    for (const r of found) {
      unheard?.delete(r.runId);
      if (gone.has(r.runId)) continue;
      const known = runs.get(r.runId);
      // The listing's last step as the stream's run_progress gives it: `stepId: status`.
      const lastStep = r.lastStep ? `${r.lastStep.stepId}: ${r.lastStep.status}` : known?.lastStep;
      // A run the stream has seen end stays ended, whatever a listing read before its run_complete says.
      const ended = known && TERMINAL.has(known.status) && !TERMINAL.has(r.status)
        ? { status: known.status, duration: known.duration } : {};
      runs.set(r.runId, { ...known, ...r, lastStep, ...ended });
      if (r.status === 'waiting') approving.add(r.runId);
    }
    return { next, last: found.at(-1)?.createdAt };
  }

  /**
   * Runs shown when the stream was cut and not heard of since (listed again, or an event), while a
   * reconnect reads the listing again; null otherwise.
   */
  let unheard = null;

  /**
   * The newest page when the page opens. On a reconnect, every page already loaded is read again:
   * what happened in the gap is known only to the store. A run shown before the gap that the
   * listing no longer has was deleted then, or no longer matches the filter, and leaves the list.
   */
  async function list() {
    if (older === undefined || !runs.size) {
      older = (await page()).next;
      render();
      return;
    }
    const shown = [...runs.values()];
    unheard = new Set(runs.keys());
    more.disabled = true; // its cursor is being read again
    try {
      const oldest = shown.reduce((min, r) => (r.createdAt < min ? r.createdAt : min), shown[0].createdAt);
      // The listing orders by a finer time than the millisecond it shows: a run created in the same
      // millisecond as the oldest may be on the next page, so read on until none is left unheard.
      const pending = () => shown.some((r) => r.createdAt === oldest && unheard.has(r.runId));
      let cursor;
      let last;
      do {
        ({ next: cursor, last } = await page(cursor));
      } while (cursor && last !== undefined && (last > oldest || (last === oldest && pending())));
      older = cursor;
      for (const runId of unheard) runs.delete(runId);
    } finally {
      unheard = null;
      more.disabled = false;
    }
    render();
  }

  more.addEventListener('click', async () => {
    more.disabled = true;
    try {
      older = (await page(older)).next;
      render();
    } finally {
      more.disabled = false;
    }
  });

  function onEvent(e) {
    unheard?.delete(e.runId);
    const known = runs.get(e.runId);
    const p = e.payload || {};
    switch (e.type) {
      case 'run_queued':
        runs.set(e.runId, { runId: e.runId, workflowId: p.workflowId, status: 'queued', createdAt: e.time, duration: null,
          trigger: p.trigger ?? null, ...known });
        break;
      case 'run_start':
        // A run first seen here (its run_queued came before the page listened) has its trigger in this payload.
        if (known) Object.assign(known, { status: 'running', startedAt: e.time, trigger: known.trigger ?? p.trigger ?? null });
        else runs.set(e.runId, { runId: e.runId, workflowId: p.workflowId, status: 'running', createdAt: e.time, startedAt: e.time,
          duration: null, trigger: p.trigger ?? null });
        break;
      case 'run_complete':
        if (known) Object.assign(known, { status: p.status, duration: p.duration ?? null });
        else { api(`/api/v2/workflows/runs/${e.runId}`).then((r) => { if (!gone.has(r.runId)) { runs.set(r.runId, r); render(); } }, () => {}); }
        break;
      case 'run_deleted':
        gone.add(e.runId);
        runs.delete(e.runId);
        approving.delete(e.runId);
        break;
      case 'run_progress':
        if (!known) break;
        known.lastStep = `${p.stepId}: ${p.status}`;
        if (p.status === 'waiting') approving.add(e.runId);
        if (approving.has(e.runId)) refresh(e.runId);
        break;
    }
    if (e.type === 'run_complete') approving.delete(e.runId);
    render();
  }

  /**
   * Reads a run's status again, as the store folded it after the event that asked. One request a
   * run at a time, so answers come in order; events meanwhile make one more, after it.
   */
  function refresh(runId) {
    if (asking.has(runId)) { asking.set(runId, true); return; }
    asking.set(runId, false);
    api(`/api/v2/workflows/runs/${encodeURIComponent(runId)}`).then((r) => {
      const known = runs.get(runId);
      // A run that has ended stays ended, whatever an answer sent before its run_complete said.
      if (known && !TERMINAL.has(known.status)) { known.status = r.status; render(); }
    }, () => {}).finally(() => {
      const again = asking.get(runId);
      asking.delete(runId);
      if (again) refresh(runId);
    });
  }

  let stream;
  function restart() {
    stream?.stop();
    runs.clear();
    gone.clear();
    older = undefined;
    render();
    stream = new AllRunsStream(filter.workflowId, {
      onOpen: () => list().catch((err) => console.error(err)),
      onEvent,
      onState: (s, reason) => {
        conn.dataset.state = s;
        conn.textContent = { connecting: 'connecting…', live: 'live', reconnecting: 'reconnecting…', unauthorized: tokenTrouble(),
          refused: `the server closed the stream: ${reason || 'no reason given'}` }[s];
      },
    }).start();
  }
  restart();
  hooks.current = { dropConnection: () => stream.drop() };
  return () => stream.stop();
}

/**
 * The filter's option for a workflow id that no current workflow has, selected: a deleted
 * workflow's (its version page links to its runs), or an id that never had a version; null when
 * the id is none or a current workflow's. Without it the select would show every workflow while
 * the list holds one's runs, and the next change of a filter would drop the workflow.
 */
async function otherWorkflow(workflowId, workflows) {
  if (!workflowId || workflows.some((w) => w.id === workflowId)) return null;
  const versions = await api(`/api/v2/workflows/${encodeURIComponent(workflowId)}/versions`)
    .catch((err) => { if (err.status === 404) return null; throw err; });
  return el('option', { value: workflowId, selected: true,
    text: `${workflowId} (${versions ? 'deleted' : 'no such workflow'})` });
}
