// The fold of a run's events into its state, as the page shows it: the same rule as the
// server's (events/RunFold, which the store folds each batch with), and tested on the same fixtures
// (server/src/test/resources/runstate/fixtures.json: StoreContractTest there, runstate.test.mjs
// here). Pure: no DOM, no network. Log lines are the log list's, not the state's: the one the
// state reads is a workflow step's naming its child run, which the store has no need of.

/**
 * A run before any event: queued, its steps (in definition order, from GET /runs/{id}) pending.
 * A step's `needs` are its definition's, from the detail; the rest comes from the events.
 */
export function newRunState(detail) {
  return {
    run: { runId: detail.runId, workflowId: detail.workflowId, status: 'queued', createdAt: detail.createdAt,
      startedAt: null, finishedAt: null, duration: null, error: null },
    steps: new Map(detail.steps.map((s) => [s.stepId, newStep(s.stepId, s.stepName, s.needs)])),
    vars: new Map(),   // name -> value
  };
}

/**
 * `outputs`: what its last step_complete carried (null before, or when it carried none), and
 * `truncated` whether a value of them was cut. `childRunId`: the run a workflow step started, known
 * from its log line as soon as the child starts, so that the page can link to it while it runs.
 * `waitingMessage`: what an approval step asks (its step_waiting), kept once it is decided, so that
 * the question stays beside the answer; `decision`: its step_complete's `{approved, by, comment?}`.
 * `reused`: its step_complete said `reused` (a retry took the step's result over from the run it
 * retries, without running it: it has no step_start); a step_start clears it.
 */
function newStep(stepId, stepName, needs) {
  return { stepId, stepName, needs: needs ?? [], status: 'pending', attempt: 0, startedAt: null, duration: null,
    error: null, outputs: null, truncated: false, childRunId: null, waitingMessage: null, decision: null, reused: false };
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
// The parent step's line when its child run starts, or is taken up again after a resume (WorkflowStep).
const CHILD_STARTED = new RegExp(`^(?:started|took up again) run (${UUID}) of workflow "`);
const RUN_ID = new RegExp(`^${UUID}$`);

/** Applies one event (an envelope: type, seq, time, payload) to the state; returns whether the view changed. */
export function applyEvent(state, e) {
  const p = e.payload || {};
  switch (e.type) {
    case 'run_start':
      Object.assign(state.run, { status: 'running', startedAt: e.time });
      return true;
    case 'step_start': {
      const s = step(state, p);
      // A new attempt of a workflow step starts a new child run.
      Object.assign(s, { status: 'running', attempt: p.attempt, startedAt: e.time, duration: null, error: null,
        outputs: null, truncated: false, childRunId: null, waitingMessage: null, decision: null, reused: false });
      stepMoved(state);
      return true;
    }
    case 'step_waiting': {
      const s = step(state, p);
      Object.assign(s, { status: 'waiting', waitingMessage: p.message ?? null });
      stepMoved(state);
      return true;
    }
    case 'step_log': {
      // Only the line naming a child run changes the state; the log list keeps every line.
      const m = (p.message?.startsWith('started run ') || p.message?.startsWith('took up again run '))
        && CHILD_STARTED.exec(p.message);
      if (!m) return false;
      step(state, p).childRunId = m[1];
      return true;
    }
    case 'step_complete': {
      const s = step(state, p);
      Object.assign(s, { status: p.status, attempt: p.attempt, duration: p.duration ?? null, error: p.error ?? null,
        outputs: p.outputs ?? null, truncated: p.truncated === true, decision: p.decision ?? null,
        reused: p.reused === true });
      // A workflow step's outputs name its child run (docs/api.md), whether or not its log line came.
      if (RUN_ID.test(p.outputs?.runId)) s.childRunId = p.outputs.runId;
      stepMoved(state);
      return true;
    }
    case 'variable_change':
      if (p.changeType === 'delete') state.vars.delete(p.varName); else state.vars.set(p.varName, p.newValue);
      return true;
    case 'run_complete':
      Object.assign(state.run, { status: p.status, duration: p.duration ?? null, error: p.error ?? null, finishedAt: e.time });
      // A finished run has no running or waiting step: one cut off (cancel, shutdown, a node's
      // death) shows cancelled.
      for (const s of state.steps.values()) if (s.status === 'running' || s.status === 'waiting') s.status = 'cancelled';
      return true;
    default:
      return false;
  }
}

/**
 * A step moved to running, waiting or an end: a run that is going on waits when a step waits for a
 * decision and none runs, else it runs (RunFold.runningOrWaiting). The state holds every step of
 * the run (the detail's, and any the events add), so it can tell at once.
 */
function stepMoved(state) {
  if (state.run.status !== 'running' && state.run.status !== 'waiting') return;
  let running = false;
  let waiting = false;
  for (const s of state.steps.values()) {
    running ||= s.status === 'running';
    waiting ||= s.status === 'waiting';
  }
  state.run.status = waiting && !running ? 'waiting' : 'running';
}

/** A step the run did not declare is added after the others, as the store does. */
function step(state, p) {
  let s = state.steps.get(p.stepId);
  if (!s) {
    s = newStep(p.stepId, p.stepName || p.stepId, []);
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
