// A workflow's steps as a graph (docs/api.md, steps in parallel), grouped the one way both the
// workflow page and the run page show them: by level. Pure: no DOM, no network.

/** Whether any step has needs: then the steps form a graph and run at once, else in order, one at a time. */
export function isGraph(steps) {
  return steps.some((s) => s.needs?.length > 0);
}

/**
 * Each step's level, keyed by id: 0 for a step that needs nothing, else one more than the highest
 * level among the steps it needs. A level says how deep a step waits, not when it starts: a step
 * starts once its own needs have ended, perhaps before another step of a lower level has.
 * The server refuses a need that names no step and a cycle; should one come anyway, the need that
 * names no step counts for nothing, and a cycle is cut where it closes, so that the page still shows
 * every step once.
 * @param {object[]} steps in definition order, each with `needs` (ids) or none
 * @param {(step: object) => string} id the step's id (`s.id` in a definition, `s.stepId` in a run)
 * @returns {Map<string, number>}
 */
export function levels(steps, id = (s) => s.id) {
  const needs = new Map(steps.map((s) => [id(s), s.needs ?? []]));
  const level = new Map();
  const visiting = new Set();
  const of = (k) => {
    if (level.has(k)) return level.get(k);
    if (!needs.has(k) || visiting.has(k)) return -1;
    visiting.add(k);
    const l = 1 + Math.max(-1, ...needs.get(k).map(of));
    visiting.delete(k);
    level.set(k, l);
    return l;
  };
  for (const k of needs.keys()) of(k);
  return level;
}

/**
 * The steps grouped by level: element n holds the steps of level n, in definition order. No level
 * is empty: a step of level n > 0 needs one of level n − 1.
 */
export function byLevel(steps, id = (s) => s.id) {
  const level = levels(steps, id);
  const groups = [];
  for (const s of steps) (groups[level.get(id(s))] ??= []).push(s);
  return groups;
}

/** What a step waits for, as the page words it: `needs: build, unit`, or '' for a step that needs nothing. */
export function needsText(needs) {
  return needs?.length ? `needs: ${needs.join(', ')}` : '';
}

/**
 * What a level's head says of its steps that a retry took over (`reused`, runstate.mjs):
 * `↺ all reused`, `↺ 2 reused`, or '' for none.
 */
export function reusedText(group) {
  const n = group.filter((s) => s.reused).length;
  if (!n) return '';
  return n === group.length ? '↺ all reused' : `↺ ${n} reused`;
}
