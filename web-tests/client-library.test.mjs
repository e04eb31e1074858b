// clients/js in Debian's Chromium: a page of another origin (a static server of clients/js,
// listed in the server's --allowed-origins) imports the module and follows runs with the
// browser's own WebSocket; the token travels as the subprotocol stepstream.bearer.<token>.
// The conformance suite (clients/conformance) holds the library to the rest, in Node.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { ROOT, launchBrowser, startServer } from './harness.mjs';

const JAVA = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';

/** Serves clients/js/index.mjs and an empty page to import it from. */
async function serveLibrary() {
  const server = createServer(async (request, response) => {
    const name = new URL(request.url, 'http://x').pathname;
    if (name === '/index.mjs') {
      response.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8' })
        .end(await readFile(join(ROOT, 'clients', 'js', 'index.mjs')));
    } else {
      response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end('<!doctype html><title>client</title>');
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { origin: `http://localhost:${server.address().port}`, close: () => new Promise((ok) => server.close(ok)) };
}

describe('clients/js in Chromium', () => {
  let pages;
  let server;
  let browser;
  let page;
  let token;

  before(async () => {
    pages = await serveLibrary();
    const dataDir = mkdtempSync(join(tmpdir(), 'stepstream-web-'));
    const tokensFile = join(dataDir, 'tokens');
    token = execFileSync(JAVA, ['-jar', join(ROOT, 'target', 'stepstream.jar'), 'token', 'create', '--role', 'admin',
      '--name', 'page', '--tokens-file', tokensFile], { encoding: 'utf8' }).trim().split('\n').pop().trim();
    server = await startServer(dataDir, ['--allowed-origins', pages.origin, '--tokens-file', tokensFile]);
    const put = await fetch(`${server.url}/api/v2/workflows/hello`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/yaml' },
      body: 'id: hello\nsteps:\n  - {id: greet, type: log, message: "hello there"}\n  - {id: pause, type: sleep, duration: 500ms}\n  - {id: bye, type: log, level: warn, message: bye}\n',
    });
    assert.ok(put.ok, `PUT hello: ${put.status}`);
    browser = await launchBrowser();
    page = await browser.context.newPage();
    await page.goto(`${pages.origin}/`);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    server?.cleanup();
    await pages?.close();
  });

  test('executes a run and follows it live to run_complete, each seq once, with the token as subprotocol', async () => {
    const result = await page.evaluate(async ({ origin, url, token }) => {
      const { StepstreamClient } = await import(`${origin}/index.mjs`);
      const client = new StepstreamClient({ server: url, token });
      const { runId } = await client.execute('hello');
      const follow = client.follow(runId);
      const seqs = [];
      const types = [];
      for await (const event of follow) { seqs.push(event.seq); types.push(event.type); }
      const history = await client.events(runId, { limit: 1000 });
      return { seqs, types, lastSeq: follow.lastSeq, reconnects: follow.reconnects, expected: history.events.map((e) => e.seq) };
    }, { origin: pages.origin, url: server.url, token });
    assert.deepEqual(result.seqs, result.expected);
    assert.equal(result.types.at(-1), 'run_complete');
    assert.equal(result.lastSeq, result.expected.at(-1));
    assert.equal(result.reconnects, 0);
  });

  test('a run that does not exist, or a bad token, is a final error the page can read', async () => {
    const errors = await page.evaluate(async ({ origin, url, token, missing }) => {
      const { StepstreamClient } = await import(`${origin}/index.mjs`);
      const attempt = async (client, runId) => {
        const follow = client.follow(runId, { giveUpAfterMs: 10_000 });
        try {
          for await (const event of follow) { /* none expected */ }
          return { kind: 'none' };
        } catch (error) {
          return { kind: error.kind, status: error.status, code: error.code, reconnects: follow.reconnects };
        }
      };
      return [
        await attempt(new StepstreamClient({ server: url, token }), missing),
        await attempt(new StepstreamClient({ server: url, token: 'ss_wrong' }), missing),
      ];
    }, { origin: pages.origin, url: server.url, token, missing: randomUUID() });
    assert.deepEqual(errors, [
      { kind: 'not_found', status: 404, code: errors[0].code, reconnects: 0 },
      { kind: 'unauthenticated', status: 401, code: errors[1].code, reconnects: 0 },
    ]);
    assert.ok(errors[0].code && errors[1].code, JSON.stringify(errors));
  });
});
