// The fold of a run's events into its state, as the page shows it: the same rule as the
// store's (BatchEffects and BatchWriter on the server), and tested on the same fixtures
// (src/test/resources/runstate/fixtures.json: StoreContractTest there, runstate.test.mjs
// here). Pure: no DOM, no network. Log lines are the log list's, not the state's.

/** A run before any event: queued, its steps (in definition order, from GET /runs/{id}) pending. */
export function newRunState(detail) {
  return {
    run: { runId: detail.runId, workflowId: detail.workflowId, status: 'queued', createdAt: detail.createdAt,
      startedAt: null, finishedAt: null, duration: null, error: null },
    steps: new Map(detail.steps.map((s) => [s.stepId, {
      stepId: s.stepId, stepName: s.stepName, status: 'pending', attempt: 0, startedAt: null, duration: null, error: null,
    }])),
    vars: new Map(),   // name -> value
  };
}

/** Applies one event (an envelope: type, seq, time, payload) to the state; returns whether the view changed. */
export function applyEvent(state, e) {
  const p = e.payload || {};
  switch (e.type) {
    case 'run_start':
      Object.assign(state.run, { status: 'running', startedAt: e.time });
      return true;
    case 'step_start': {
      const s = step(state, p);
      Object.assign(s, { status: 'running', attempt: p.attempt, startedAt: e.time, duration: null, error: null });
      return true;
    }
    case 'step_complete': {
      const s = step(state, p);
      Object.assign(s, { status: p.status, attempt: p.attempt, duration: p.duration ?? null, error: p.error ?? null });
      return true;
    }
    case 'variable_change':
      if (p.changeType === 'delete') state.vars.delete(p.varName); else state.vars.set(p.varName, p.newValue);
      return true;
    case 'run_complete':
      Object.assign(state.run, { status: p.status, duration: p.duration ?? null, error: p.error ?? null, finishedAt: e.time });
      // A finished run has no running step: one cut off (cancel, shutdown, a node's death) shows cancelled.
      for (const s of state.steps.values()) if (s.status === 'running') s.status = 'cancelled';
      return true;
    default:
      return false;
  }
}

/** A step the run did not declare is added after the others, as the store does. */
function step(state, p) {
  let s = state.steps.get(p.stepId);
  if (!s) {
    s = { stepId: p.stepId, stepName: p.stepName || p.stepId, status: 'pending', attempt: 0, startedAt: null, duration: null, error: null };
    state.steps.set(p.stepId, s);
  }
  return s;
}

/** What GET /runs/{id} says of the same events: the fixtures' expected shape. */
export function summary(state) {
  return {
    status: state.run.status,
    error: state.run.error,
    steps: [...state.steps.values()].map((s) => ({ stepId: s.stepId, status: s.status, attempt: s.attempt, error: s.error })),
    variables: Object.fromEntries(state.vars),
  };
}
