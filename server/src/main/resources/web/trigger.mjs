// What started a run (docs/api.md, "Runs": a run's `trigger`), in the page's words: the one
// wording of the run page's Trigger and of the run list's Trigger column.
import { dateTime } from './format.mjs';

/** The types a run's trigger has, in the order the run list's filter offers them. */
export const TRIGGER_TYPES = ['manual', 'schedule', 'webhook', 'retry', 'workflow'];

/**
 * A run's trigger as parts for el() (strings, and what `run` makes of a run's id):
 * `manual`, `schedule nightly · due 04/12/2026, 02:00:00`, `webhook push`, `retry of 1a2b3c4d`,
 * `started by run 1a2b3c4d`. `brief`, for a list's cell, keeps the type and the id of the
 * workflow's own trigger (`schedule · nightly`, `webhook · push`, `retry`). A type the page does
 * not know is shown as it is; no trigger is no parts.
 * @param {{type: string, id: string|null, dueAt: string|null}|null|undefined} trigger
 * @param {{brief?: boolean, run?: (runId: string) => (string|Node)}} options `run` words another
 *   run: its short id as text unless the caller links it
 */
export function triggerParts(trigger, { brief = false, run = (id) => id.slice(0, 8) } = {}) {
  if (!trigger?.type) return [];
  const { type, id, dueAt } = trigger;
  const own = type === 'schedule' || type === 'webhook';
  if (brief) return [own && id ? `${type} · ${id}` : type];
  if (own) return [id ? `${type} ${id}` : type, ...(dueAt ? [` · due ${dateTime(dueAt)}`] : [])];
  if (type === 'retry' && id) return ['retry of ', run(id)];
  if (type === 'workflow' && id) return ['started by run ', run(id)];
  return [type];
}
