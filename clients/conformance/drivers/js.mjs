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
  },
});
// Node 20 has no global WebSocket; the ws package also lets the client pause reading for a slow consumer.
const client = new StepstreamClient({ server, token: opt.token, WebSocket });
const follow = client.follow(runId, {
  after: Number(opt.after), types: opt.types, steps: opt.steps, minLevel: opt['min-level'],
  backoff: { baseMs: 100, capMs: 2000 }, giveUpAfterMs: 60_000,
});
const stallAfter = opt['stall-after'] === undefined ? -1 : Number(opt['stall-after']);
let count = 0;
let error = null;
try {
  for await (const envelope of follow) {
    process.stdout.write(`${JSON.stringify(envelope)}\n`);
    if (++count === stallAfter) await new Promise((ok) => setTimeout(ok, Number(opt['stall-ms'])));
  }
} catch (caught) {
  error = { kind: caught.kind ?? 'crash', status: caught.status ?? null, code: caught.code ?? null,
    closeCode: caught.closeCode ?? null, message: String(caught.message) };
}
process.stdout.write(`${JSON.stringify({ end: { lastSeq: follow.lastSeq, reconnects: follow.reconnects, error } })}\n`);
