// The run view: header, step timeline, log and variables, all kept up to date from the run's
// WebSocket stream (history first, then live).
import { api, ApiError, refusal, token, tokenTrouble } from './api.mjs';
import { el, duration, dateTime, value, statusBadge, STATUS_ICON } from './format.mjs';
import { RunStream } from './stream.mjs';
import { LogList, LEVELS } from './loglist.mjs';
import { newRunState, applyEvent } from './runstate.mjs';
import { isGraph, byLevel, needsText, reusedText } from './graph.mjs';
import { ApprovalBanner } from './approvals.mjs';
import { RetryControl, lineage, runLink } from './retry.mjs';
import { triggerParts } from './trigger.mjs';
import { lineDiff, definitionLines } from './diff.mjs';
import { workflowTitle, inputsFact } from './runfacts.mjs';
import { DagView } from './dag.mjs';
import { TimeTravel } from './timetravel.mjs';
import { CompareControl } from './compare.mjs';
import { href } from './routes.mjs';

const TERMINAL = new Set(['success', 'failed', 'cancelled', 'interrupted']);

/** @param {(href: string) => void} navigate the app's navigation, to open the run a retry made */
export async function showRun(main, runId, hooks, navigate) {
  const detail = await api(`/api/v2/workflows/runs/${encodeURIComponent(runId)}`);
  // Queued, its steps pending: the stream replays what happened to them (runstate.mjs's rule).
  const state = newRunState({ ...detail, runId });
  const { run, steps } = state;
  // What the steps, variables and header show: the live state, or the run as it was at an event
  // while time-travelling (timetravel.mjs). Cancel, retry and approvals always follow the live one.
  let shown = state;
  const travel = new TimeTravel(runId, { last: detail.lastSeq ?? 0, run: () => run, onView: (view) => {
    shown = view ?? state;
    log.setCutoff(view ? view.seq : null);
    renderHeader(); renderSteps(); renderVars();
  } });
  const log = new LogList(runId, (stepId) => steps.get(stepId)?.stepName ?? stepId);

  // --- layout -------------------------------------------------------------------------------
  const conn = el('span', { class: 'conn', role: 'status', 'aria-live': 'polite' });
  const title = workflowTitle(detail, runId);
  const statusSlot = el('span', { class: 'run-status' });
  const startedSlot = el('dd');
  const durationSlot = el('dd', { class: 'run-duration' });
  const errorSlot = el('p', { class: 'run-error', hidden: true });
  const cancelButton = el('button', { type: 'button', class: 'danger', text: 'Cancel run', onclick: cancel });
  // Why Cancel did nothing, as retry and approvals say theirs; once the server has said this token
  // may not cancel, the button goes.
  const cancelNote = el('p', { class: 'cancel-note', role: 'status', 'aria-live': 'polite' });
  let cancelRefused = false;
  // Links to the run this one retries and to the runs that retry it, as the detail says: read
  // again when Retry was pressed and made no run here (someone else's retry shows then).
  const lineageSlot = el('div', { class: 'lineage-slot' }, lineage(detail));
  const retry = new RetryControl(runId, [...steps.keys()], {
    onRetried: (reply) => navigate(href(`/runs/${encodeURIComponent(reply.runId)}`)),
    onNotRetried: async () => {
      const again = await api(`/api/v2/workflows/runs/${encodeURIComponent(runId)}`).catch(() => null);
      if (again) lineageSlot.replaceChildren(...[lineage(again)].filter(Boolean));
    },
  });
  const compare = new CompareControl(runId, run.workflowId, navigate);
  // What changed in the workflow since the version this run ran, filled in once read.
  const changesSlot = el('div', { class: 'version-changes-slot' });
  versionChanges(run.workflowId, detail.workflowVersion).then((node) => changesSlot.replaceChildren(...[node].filter(Boolean)))
    .catch(() => {});
  const retriedFrom = detail.retryOf ? `run ${detail.retryOf.runId.slice(0, 8)}` : 'the run this one retries';
  const header = el('section', { class: 'run-header', 'aria-label': 'Run' },
    el('div', { class: 'run-title' }, title, statusSlot, conn),
    el('dl', { class: 'facts' },
      el('div', {}, el('dt', { text: 'Started' }), startedSlot),
      el('div', {}, el('dt', { text: 'Duration' }), durationSlot),
      el('div', {}, el('dt', { text: 'Trigger' }), el('dd', { class: 'run-trigger', 'data-trigger': detail.trigger?.type },
        triggerParts(detail.trigger, { run: runLink }))),
      el('div', {}, el('dt', { text: 'Workflow version' }), el('dd', { class: 'run-version' }, el('a', {
        href: href(`/workflows/${encodeURIComponent(run.workflowId)}?version=${detail.workflowVersion}`), text: `v${detail.workflowVersion}` }))),
      el('div', {}, el('dt', { text: 'Run id' }), el('dd', {}, el('code', { text: runId }))),
      inputsFact(detail.inputs)),
    lineageSlot, changesSlot, errorSlot, el('div', { class: 'actions' }, cancelButton, retry.node, compare.node), cancelNote);
  // A waiting run asks its reader first: the banner sits right under the header.
  const approvals = new ApprovalBanner(runId);

  // A graph's steps run at once: the timeline groups them by level, each row saying what it needs.
  const graph = isGraph([...steps.values()]);
  const timeline = el('ol', { class: graph ? 'timeline graph' : 'timeline' });
  // And draws them: a node per step, coloured live, that leads to the step's row.
  const dag = graph ? new DagView([...steps.values()], { onPick: focusStep }) : null;
  const openOutputs = new Set();   // step ids whose outputs are shown: kept across re-renders
  const stepSelect = el('select', { id: 'log-step', onchange: () => log.setFilter({ stepId: stepSelect.value }) },
    el('option', { value: '', text: 'all steps' }),
    [...steps.values()].map((s) => el('option', { value: s.stepId, text: s.stepName })));
  const levelSelect = el('select', { id: 'log-level', onchange: () => log.setFilter({ minLevel: levelSelect.value }) },
    LEVELS.map((l) => el('option', { value: l, text: l === 'debug' ? 'all levels' : `${l} and above` })));
  let filterTimer;
  const filterInput = el('input', { id: 'log-filter', type: 'search', placeholder: 'Filter lines', oninput: () => {
    clearTimeout(filterTimer);
    filterTimer = setTimeout(() => log.setFilter({ text: filterInput.value.toLowerCase() }), 120);
  } });
  log.onFilterReset = () => { filterInput.value = ''; stepSelect.value = ''; levelSelect.value = 'debug'; };
  // Search: the server's ?q= over the whole history; Enter goes to the next match, Shift+Enter back.
  const findCount = el('span', { class: 'muted log-find-count', 'aria-live': 'polite' });
  let findTimer;
  let searched = '';
  const findInput = el('input', { id: 'log-find', type: 'search', placeholder: 'Search the log ( / )', oninput: () => {
    clearTimeout(findTimer);
    findTimer = setTimeout(() => { searched = findInput.value; log.search(searched).catch(showFindError); }, 300);
  }, onkeydown: (ev) => {
    if (ev.key !== 'Enter') return;
    ev.preventDefault();
    clearTimeout(findTimer);
    if (findInput.value !== searched) { searched = findInput.value; log.search(searched).catch(showFindError); }
    else if (ev.shiftKey) log.previous(); else log.next();
  } });
  const showFindError = (err) => { findCount.textContent = `search failed: ${err.message}`; };
  log.onFindChange = () => { findCount.textContent = log.findText(); };
  const findPrev = el('button', { type: 'button', class: 'log-find-prev', 'aria-label': 'Previous match', text: '▲',
    onclick: () => log.previous() });
  const findNext = el('button', { type: 'button', class: 'log-find-next', 'aria-label': 'Next match', text: '▼',
    onclick: () => log.next() });
  const toggle = (id, label, on, set) => {
    const button = el('button', { type: 'button', id, class: 'log-option', 'aria-pressed': String(on), text: label });
    button.addEventListener('click', () => {
      const now = button.getAttribute('aria-pressed') !== 'true';
      button.setAttribute('aria-pressed', String(now));
      set(now);
    });
    return button;
  };
  const wrapButton = toggle('log-wrap', 'Wrap', log.wrap, (on) => log.setWrap(on));
  const timesButton = toggle('log-times', 'Times', log.showTimes, (on) => log.setTimes(on));
  const download = el('a', { class: 'log-download button', href: href(`/api/v2/workflows/runs/${encodeURIComponent(runId)}/log`),
    download: `${runId}.log`, text: 'Download', onclick: downloadLog });
  const downloadNote = el('p', { class: 'download-note', role: 'status', 'aria-live': 'polite' });
  const followButton = el('button', { type: 'button', class: 'follow', 'aria-pressed': 'true',
    onclick: () => log.setFollow(!log.follow) });
  log.onFollowChange = (on) => {
    followButton.textContent = on ? 'Pause auto-scroll' : 'Resume auto-scroll';
    followButton.setAttribute('aria-pressed', String(on));
  };
  log.onFollowChange(true);

  const varsTable = el('tbody');
  const changesList = el('ol', { class: 'changes' });

  main.replaceChildren(
    el('p', { class: 'crumbs' }, el('a', { href: href('/'), text: '← All runs' })),
    header,
    approvals.node,
    travel.node,
    el('section', { class: 'panel steps', 'aria-labelledby': 'steps-h' },
      el('h2', { id: 'steps-h', text: 'Steps' }), dag?.node, timeline),
    el('section', { class: 'panel log', 'aria-labelledby': 'log-h' },
      el('div', { class: 'panel-head' }, el('h2', { id: 'log-h', text: 'Log' }), log.count),
      el('div', { class: 'log-tools' },
        el('label', { for: 'log-level', class: 'sr-only', text: 'Level' }), levelSelect,
        el('label', { for: 'log-step', class: 'sr-only', text: 'Step' }), stepSelect,
        el('label', { for: 'log-filter', class: 'sr-only', text: 'Filter lines' }), filterInput,
        el('span', { class: 'log-find' }, el('label', { for: 'log-find', class: 'sr-only', text: 'Search the log' }), findInput,
          findPrev, findNext, findCount),
        wrapButton, timesButton, download, followButton),
      downloadNote, log.viewport, log.empty),
    el('section', { class: 'panel vars', 'aria-labelledby': 'vars-h' },
      el('h2', { id: 'vars-h', text: 'Variables' }),
      el('table', {}, el('thead', {}, el('tr', {}, el('th', { text: 'Name' }), el('th', { text: 'Value' }))), varsTable),
      el('h3', { text: 'Changes' }), changesList));

  // --- state -> DOM -------------------------------------------------------------------------
  function renderHeader() {
    statusSlot.replaceChildren(statusBadge(shown.run.status));
    startedSlot.textContent = dateTime(shown.run.startedAt);
    cancelButton.hidden = TERMINAL.has(run.status) || cancelRefused;
    retry.update(TERMINAL.has(run.status));
    compare.update(run.status);
    errorSlot.hidden = !shown.run.error;
    errorSlot.textContent = shown.run.error || '';
    tick();
  }

  function runElapsed() {
    const r = shown.run;
    if (r.duration !== null) return r.duration;
    return r.startedAt ? Date.now() - Date.parse(r.startedAt) : null;
  }

  function stepElapsed(s) {
    if (s.duration !== null) return s.duration;
    // A waiting step's time so far is how long it has waited (with its time running before).
    return s.startedAt && (s.status === 'running' || s.status === 'waiting') ? Date.now() - Date.parse(s.startedAt) : null;
  }

  // The Gantt scale: the run's time so far, so that a long step stands out.
  function tick() {
    durationSlot.textContent = duration(runElapsed());
    const total = Math.max(1, runElapsed() || 1);
    const t0 = shown.run.startedAt ? Date.parse(shown.run.startedAt) : 0;
    for (const s of shown.steps.values()) {
      const row = s.row;
      if (!row) continue;
      const ms = stepElapsed(s);
      row.dur.textContent = ms === null ? '' : duration(ms);
      const left = s.startedAt && t0 ? Math.max(0, (Date.parse(s.startedAt) - t0) / total) : 0;
      // A step that never started (skipped) has no place on the time axis.
      const width = ms === null || !s.startedAt ? 0 : Math.max(0.004, ms / total);
      row.bar.style.marginLeft = `${Math.min(100, left * 100)}%`;
      row.bar.style.width = `${Math.min(100 - left * 100, width * 100)}%`;
    }
  }

  function renderSteps() {
    const all = [...shown.steps.values()];
    if (graph) {
      timeline.replaceChildren(...byLevel(all, (s) => s.stepId).map((group, n) =>
        el('li', { class: 'level', 'data-level': n },
          el('h3', { class: 'level-head' }, `Level ${n}`,
            el('span', { class: 'muted', text: ` · ${group.length} ${group.length === 1 ? 'step' : 'steps'}` }),
            waitingIn(group), reusedIn(group)),
          el('ol', { class: 'level-steps' }, group.map(stepRow)))));
    } else {
      timeline.replaceChildren(...all.map(stepRow));
    }
    approvals.update([...steps.values()]);
    dag?.update(all);
    tick();
  }

  /** Scrolls to a step's row and focuses it: where a node of the graph leads. */
  function focusStep(stepId) {
    const row = timeline.querySelector(`li[data-step="${CSS.escape(stepId)}"]`);
    if (!row) return;
    row.tabIndex = -1;
    row.scrollIntoView({ block: 'center' });
    row.focus({ preventScroll: true });
  }

  /** A level's steps that wait for a decision, said in its head so that a long graph shows where; null for none. */
  function waitingIn(group) {
    const n = group.filter((s) => s.status === 'waiting').length;
    return n ? el('span', { class: 'level-waiting status-waiting', text: ` · ${n} waiting` }) : null;
  }

  /** A level's steps that a retry took over, said in its head (muted); null for none. */
  function reusedIn(group) {
    const text = reusedText(group);
    return text ? el('span', { class: 'level-reused muted', text: ` · ${text}` }) : null;
  }

  function stepRow(s) {
    const bar = el('span', { class: 'bar' });
    const dur = el('span', { class: 'step-dur' });
    const needs = graph ? needsText(s.needs) : '';
    // A step a retry took over did not run here: muted, and marked reused where the attempt goes.
    const li = el('li', { class: `step status-${s.status}${s.reused ? ' reused' : ''}`, 'data-step': s.stepId,
      'data-status': s.status, 'data-reused': s.reused ? 'true' : null },
      el('span', { class: 'icon', 'aria-hidden': 'true', text: STATUS_ICON[s.status] || '?' }),
      el('span', { class: 'step-name' }, s.stepName,
        el('span', { class: 'sr-only', text: `: ${s.status}${s.reused ? `, reused from ${retriedFrom}` : ''}` }),
        needs ? el('span', { class: 'step-needs muted', title: needs, text: needs }) : null),
      s.reused
        ? el('span', { class: 'step-attempt' }, el('span', { class: 'step-reused', 'aria-hidden': 'true',
          title: `Taken over from ${retriedFrom}${s.attempt > 1 ? ` (attempt ${s.attempt})` : ''}: not run again`, text: '↺ reused' }))
        : el('span', { class: 'step-attempt muted', text: s.attempt > 1 ? `attempt ${s.attempt}` : '' }),
      dur,
      el('span', { class: 'track', 'aria-hidden': 'true' }, bar),
      // Why a step of a graph was skipped: a step it needs failed.
      s.error ? el('span', { class: 'step-error' }, s.status === 'skipped' ? 'skipped: ' : '', s.error) : null,
      stepExtras(s));
    s.row = { bar, dur };
    return li;
  }

  /**
   * An approval step's question and decision, a workflow step's child run, and the outputs of a
   * step that has some; null for none of them.
   */
  function stepExtras(s) {
    const names = Object.keys(s.outputs || {});
    if (!s.childRunId && !names.length && !s.waitingMessage && !s.decision) return null;
    const question = s.waitingMessage ? el('span', { class: 'step-question', text: s.waitingMessage }) : null;
    const child = s.childRunId ? el('a', { class: 'child-run', href: href(`/runs/${encodeURIComponent(s.childRunId)}`) },
      'child run ', el('code', { text: s.childRunId.slice(0, 8) })) : null;
    const outputs = names.length ? el('details', { class: 'step-outputs', open: openOutputs.has(s.stepId),
      ontoggle: (ev) => { if (ev.target.open) openOutputs.add(s.stepId); else openOutputs.delete(s.stepId); } },
      el('summary', { text: `outputs (${names.length})` }),
      el('dl', {}, names.map((k) => el('div', { 'data-output': k },
        el('dt', {}, el('code', { text: k })), el('dd', {}, el('code', { text: value(s.outputs[k]) }))))),
      s.truncated ? el('p', { class: 'muted', text: 'A value over 16 KiB was cut.' }) : null) : null;
    return el('div', { class: 'step-extras' }, question, decisionOf(s.decision), child, outputs);
  }

  /** `approved by ann: “go”`, or null for a step that took no decision. */
  function decisionOf(d) {
    if (!d) return null;
    return el('span', { class: 'step-decision', 'data-approved': String(d.approved === true) },
      el('strong', { text: d.approved ? 'approved' : 'rejected' }), ` by ${d.by ?? 'someone'}`,
      d.comment ? el('span', { class: 'decision-comment', text: `: “${d.comment}”` }) : null);
  }

  function renderVars() {
    const vars = shown.vars;
    // While time-travelling, the changes after the event shown are not yet made.
    for (const li of changesList.children) li.hidden = shown !== state && Number(li.dataset.seq) > shown.seq;
    varsTable.replaceChildren(...[...vars.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) =>
      el('tr', { 'data-var': k }, el('th', { scope: 'row', text: k }), el('td', {}, el('code', { text: value(v) })))));
    if (!vars.size) varsTable.append(el('tr', {}, el('td', { colspan: '2', class: 'muted', text: 'No variables.' })));
  }

  function addChange(c) {
    changesList.append(el('li', { 'data-seq': c.seq },
      el('code', { class: 'var-name', text: c.varName }), ' ',
      c.changeType === 'create' ? el('span', { class: 'muted', text: '(new)' }) : el('span', { class: 'old', text: value(c.oldValue) }), ' → ',
      el('span', { class: 'new', text: c.changeType === 'delete' ? '(deleted)' : value(c.newValue) }),
      el('span', { class: 'muted', text: ` by ${c.stepId}` })));
  }

  /**
   * Folds an event in; a log line goes to the log, a variable change to the changes list too.
   * Returns whether the steps, header or variables changed.
   */
  function apply(e) {
    const p = e.payload || {};
    if (e.type === 'step_log') {
      log.add({ seq: e.seq, time: p.timestamp || e.time, stepId: p.stepId, level: p.level,
        message: p.message, attempt: steps.get(p.stepId)?.attempt || 1 });
    }
    if (e.type === 'variable_change') addChange({ seq: e.seq, ...p });
    return applyEvent(state, e);
  }

  let seen = 0;
  const stream = new RunStream(runId, {
    onEvents(events) {
      let structural = false;
      for (const e of events) if (apply(e)) structural = true;
      seen += events.length;
      travel.setLast(stream.lastSeq);
      if (structural) { renderHeader(); renderSteps(); renderVars(); }
    },
    onState(state, reason) {
      conn.dataset.state = state;
      log.setComplete(state === 'live' || state === 'done');
      conn.textContent = { connecting: 'connecting…', live: 'live', reconnecting: 'reconnecting…', done: '',
        deleted: 'this run was deleted: what is shown is what was read before',
        unauthorized: tokenTrouble(),
        refused: `the server closed the stream: ${reason || 'no reason given'}` }[state];
    },
  });

  async function cancel() {
    cancelButton.disabled = true;
    cancelNote.textContent = '';
    try {
      await api(`/api/v2/workflows/runs/${encodeURIComponent(runId)}/cancel`, { method: 'POST' });
    } catch (err) {
      if (err.status === 401 || err.status === 403) {
        cancelRefused = true;
        cancelButton.hidden = true;
        cancelNote.textContent = refusal(err, { may: 'cancel', doing: 'cancelling' });
      } else if (err.status !== 409) { // 409: the run has ended, as its stream is about to say
        cancelNote.textContent = `Could not cancel: ${err.message}`;
      }
    } finally {
      cancelButton.disabled = false;
    }
  }

  /**
   * The whole log as a file: a plain link where no token is set; with one, fetched with it (a
   * link cannot carry the header) and handed to the browser as a file.
   */
  async function downloadLog(ev) {
    if (!token()) return;
    ev.preventDefault();
    downloadNote.textContent = '';
    let blob;
    try {
      const res = await fetch(download.href, { headers: { Authorization: `Bearer ${token()}` } });
      if (!res.ok) {
        let body = null;
        try { body = await res.json(); } catch { /* an answer not of the API's (a proxy's page) */ }
        throw new ApiError(res.status, body);
      }
      blob = await res.blob();
    } catch (err) {
      downloadNote.textContent = err.status === 401 || err.status === 403
        ? refusal(err, { may: 'download the log', doing: 'reading runs', needs: 'viewer' })
        : `Could not download the log: ${err.status ? err.message : 'the server did not answer'}.`;
      return;
    }
    const url = URL.createObjectURL(blob);
    const a = el('a', { href: url, download: `${runId}.log` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }

  /** `#seq=N` in the address: that line, revealed and highlighted, now or when it arrives. */
  function revealFromHash() {
    const m = location.hash.match(/^#seq=(\d+)$/);
    if (m) log.reveal(Number(m[1]), 'link');
  }
  // `/` searches the log, as in most viewers, unless a field has the keys.
  function onKey(ev) {
    if (ev.key !== '/' || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.target.closest?.('input, textarea, select, [contenteditable]')) return;
    ev.preventDefault();
    findInput.focus();
    findInput.select();
  }
  window.addEventListener('hashchange', revealFromHash);
  document.addEventListener('keydown', onKey);

  renderHeader(); renderSteps(); renderVars();
  travel.start(new URLSearchParams(location.search).get('at'));
  stream.start();
  revealFromHash();
  const ticker = setInterval(() => { if (!TERMINAL.has(run.status)) tick(); }, 200);

  hooks.current = {
    dropConnection: () => stream.drop(),
    lastSeq: () => stream.lastSeq,
    logSeqs: () => log.allSeqs(),
    logCount: () => log.length,
    logTextChars: () => log.textChars,
    logDroppedLines: () => log.heldFrom,
    revealLog: (seq) => log.reveal(seq),
    state: () => conn.dataset.state,
  };
  return () => {
    stream.stop(); clearInterval(ticker); travel.stop();
    window.removeEventListener('hashchange', revealFromHash);
    document.removeEventListener('keydown', onKey);
  };
}

const DIFF_CLASS = { ' ': 'diff-same', '-': 'diff-del', '+': 'diff-add' };

/**
 * A disclosure of the line diff from the version a run ran to the workflow's current one (the
 * definitions as pretty JSON; text only, via textContent); null when the run ran the current one,
 * a note when the workflow has since been deleted (its versions stay readable through the link).
 */
async function versionChanges(workflowId, version) {
  const path = `/api/v2/workflows/${encodeURIComponent(workflowId)}`;
  const current = await api(path).catch((err) => { if (err.status === 404) return null; throw err; });
  if (current === null) return el('p', { class: 'version-note muted', text: 'This workflow has been deleted since.' });
  if (current.version === version) return null;
  const ran = await api(`${path}?version=${version}`);
  const ops = lineDiff(definitionLines(ran), definitionLines(current));
  return el('details', { class: 'version-changes' },
    el('summary', { text: `Changes since v${version} (now v${current.version})` }),
    el('pre', { class: 'diff' }, ops.map((o) => el('span', { class: `diff-line ${DIFF_CLASS[o.op]}`, text: `${o.op} ${o.text}` }))));
}
