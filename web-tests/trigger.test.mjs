// The web page's wording of what started a run (src/main/resources/web/trigger.mjs), for the run
// page and the run list's column. Pure node: no browser, no server.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dateTime } from '../server/src/main/resources/web/format.mjs';
import { TRIGGER_TYPES, triggerParts } from '../server/src/main/resources/web/trigger.mjs';

const RUN = '1a2b3c4d-0000-4000-8000-000000000001';
const DUE = '2026-12-04T02:00:00.000Z';
const trigger = (type, id = null, dueAt = null) => ({ type, id, dueAt });
const text = (t, options) => triggerParts(t, options).join('');

describe('a trigger, as the run page words it', () => {
  test('manual, a schedule with the time it was due, a webhook', () => {
    assert.equal(text(trigger('manual')), 'manual');
    assert.equal(text(trigger('schedule', 'nightly', DUE)), `schedule nightly · due ${dateTime(DUE)}`);
    assert.equal(text(trigger('webhook', 'push')), 'webhook push');
  });

  test('a retry and a child run name the other run, by short id or as the caller makes it', () => {
    assert.equal(text(trigger('retry', RUN)), 'retry of 1a2b3c4d');
    assert.equal(text(trigger('workflow', RUN)), 'started by run 1a2b3c4d');
    const link = { link: RUN };
    assert.deepEqual(triggerParts(trigger('retry', RUN), { run: () => link }), ['retry of ', link]);
    assert.deepEqual(triggerParts(trigger('workflow', RUN), { run: () => link }), ['started by run ', link]);
  });

  test('what the page does not know is shown as it is; no trigger is nothing', () => {
    assert.equal(text(trigger('cron-v2', 'x')), 'cron-v2');
    assert.equal(text(trigger('retry')), 'retry');
    assert.deepEqual(triggerParts(null), []);
    assert.deepEqual(triggerParts(undefined, { brief: true }), []);
  });
});

describe('a trigger, as the run list words it', () => {
  test("the type, with the id of the workflow's own trigger", () => {
    assert.equal(text(trigger('schedule', 'nightly', DUE), { brief: true }), 'schedule · nightly');
    assert.equal(text(trigger('webhook', 'push'), { brief: true }), 'webhook · push');
    assert.equal(text(trigger('manual'), { brief: true }), 'manual');
    assert.equal(text(trigger('retry', RUN), { brief: true }), 'retry');
    assert.equal(text(trigger('workflow', RUN), { brief: true }), 'workflow');
  });

  test('the filter offers the types the listing accepts, in the order of docs/api.md', () => {
    assert.deepEqual(TRIGGER_TYPES, ['manual', 'schedule', 'webhook', 'retry', 'workflow']);
  });
});
