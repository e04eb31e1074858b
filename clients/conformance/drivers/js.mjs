#!/usr/bin/env node
// The conformance driver of clients/js: see ../README.md for the arguments and the output.
import WebSocket from 'ws';
import { StepstreamClient } from '../../js/index.mjs';
import { parseArgs } from 'node:util';

const { values: opt, positionals: [server, runId] } = parseArgs({
  allowPositionals: true,
  options: {
    after: { type: 'string', default: '0' }, types: { type: 'string' }, steps: { type: 'string' },
    'min-level': { type: 'string' }, token: { type: 'string' },
    'stall-after': { type: 'string' }, 'stall-ms': { type: 'string', default: '0' },
    watch: { type: 'boolean', default: false }, workflow: { type: 'string' }, 'until-complete': { type: 'string', default: '1' },
    runs: { type: 'string' }, retries: { type: 'string' },
  },
});
// CONFORMANCE_SILENCE_MS=quiet,deadAfter shortens the library's silence timings (its test knob, not API).
const [quietMs, deadAfterMs] = (process.env.CONFORMANCE_SILENCE_MS ?? '').split(',').map(Number);
const silence = deadAfterMs ? { _silence: { quietMs, deadAfterMs } } : {};
// Node 20 has no global WebSocket; the ws package also lets the client pause reading for a slow consumer.
let client;
try {
  const retries = opt.retries === undefined ? {} : { retries: Number(opt.retries) };
  client = new StepstreamClient({ server, token: opt.token, WebSocket, ...silence, ...retries });
} catch (refused) {
  // A server URL the library refuses: the refusal's message is what the suite checks.
  if (!(refused instanceof TypeError)) throw refused;
  process.stdout.write(`${JSON.stringify({ end: { error: { kind: 'argument', message: refused.message } } })}\n`);
  process.exit(0);
}
const reconnecting = { backoff: { baseMs: 100, capMs: 2000 }, giveUpAfterMs: 60_000 };

/** Prints each item of `stream` as a JSON line until `enough(item)`, then the end line with `end(error)`. */
async function print(stream, enough, end) {
  let error = null;
  try {
    for await (const item of stream) {
      process.stdout.write(`${JSON.stringify(item)}\n`);
      if (await enough(item)) break;
    }
  } catch (caught) {
    error = { kind: caught.kind ?? 'crash', status: caught.status ?? null, code: caught.code ?? null,
      closeCode: caught.closeCode ?? null, message: String(caught.message) };
  }
  process.stdout.write(`${JSON.stringify({ end: end(error) })}\n`);
}

/** The REST mode: `runs({limit: 1})` N times in a row, each answer as `{"runs": <how many>}`. */
async function* listRuns(times) {
  for (let i = 0; i < times; i++) yield { runs: (await client.runs({ limit: 1 })).runs.length };
}

if (opt.runs !== undefined) {
  await print(listRuns(Number(opt.runs)), () => false, (error) => ({ error }));
} else if (opt.watch) {
  const watch = client.watchRuns({ workflowId: opt.workflow, ...reconnecting });
  let completions = Number(opt['until-complete']);
  await print(watch, (item) => item.type === 'run_complete' && --completions === 0,
    (error) => ({ reconnects: watch.reconnects, error }));
} else {
  const follow = client.follow(runId, {
    after: Number(opt.after), types: opt.types, steps: opt.steps, minLevel: opt['min-level'], ...reconnecting,
  });
  const stallAfter = opt['stall-after'] === undefined ? -1 : Number(opt['stall-after']);
  let count = 0;
  await print(follow, async () => {
    if (++count === stallAfter) await new Promise((ok) => setTimeout(ok, Number(opt['stall-ms'])));
    return false;
  }, (error) => ({ lastSeq: follow.lastSeq, reconnects: follow.reconnects, error }));
}
