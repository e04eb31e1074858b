// Runs follow.mjs, the browser client, from a terminal: prints each envelope as JSON, one per line.
// Usage: node follow-node.mjs SERVER_URL RUN_ID [AFTER]   (Node 22+; Node 20: node --experimental-websocket …)
// Exit: 0 when the run ends success, 1 when it ends otherwise, 2 when it cannot be followed.
import { followRun } from './follow.mjs';

const [server, runId, after = '0'] = process.argv.slice(2);
if (!server || !runId) {
  console.error('usage: node follow-node.mjs SERVER_URL RUN_ID [AFTER]');
  process.exit(2);
}
try {
  const end = await followRun(server, runId, (envelope) => console.log(JSON.stringify(envelope)),
    { after: Number(after), token: process.env.STEPSTREAM_TOKEN });
  process.exitCode = end === null || end.payload.status === 'success' ? 0 : 1;
} catch (error) {
  console.error(`follow-node.mjs: ${error.message}`);
  process.exitCode = 2;
}
// Exit once the output is written, rather than when nothing is left to wait for: a connection
// given up as silent can only be closed with the closing handshake, which a dead one never
// completes, and its socket would hold Node until the system gives up on it.
process.stdout.write('', () => process.exit());
