// docs/clients/follow.html as docs/clients.md says to use it: the page served from another
// origin (http://localhost:PORT, a static server of docs/clients) and a server started with
// --allowed-origins naming that origin. The page follows a run to its end, and for a run that
// does not exist it says so at once: the server's CORS headers let it read the 404.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT, launchBrowser, rest, startServer, waitFor } from './harness.mjs';

const TYPES = { '.html': 'text/html; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8' };

/** Serves docs/clients as `python3 -m http.server -d docs/clients` would. */
async function servePages() {
  const server = createServer(async (request, response) => {
    const name = new URL(request.url, 'http://x').pathname.slice(1);
    try {
      const body = await readFile(join(ROOT, 'docs', 'clients', name));
      response.writeHead(200, { 'Content-Type': TYPES[name.slice(name.lastIndexOf('.'))] ?? 'text/plain' }).end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { origin: `http://localhost:${server.address().port}`, close: () => new Promise((ok) => server.close(ok)) };
}

describe('the browser example of docs/clients.md', () => {
  let pages;
  let server;
  let browser;

  before(async () => {
    pages = await servePages();
    server = await startServer(undefined, ['--allowed-origins', pages.origin]);
    browser = await launchBrowser();
    await rest(server.url, '/api/v2/workflows/hello', {
      method: 'PUT', yaml: 'id: hello\nsteps:\n  - {id: greet, type: log, message: "hello there"}\n  - {id: pause, type: sleep, duration: 300ms}\n',
    });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    server?.cleanup();
    await pages?.close();
  });

  const open = async (runId) => {
    const page = await browser.context.newPage();
    await page.goto(`${pages.origin}/follow.html?server=${encodeURIComponent(server.url)}&run=${runId}`);
    return page;
  };

  test('says which origin setting it needs', async () => {
    const page = await open('');
    assert.equal(await page.locator('#origin').textContent(), pages.origin);
    await page.close();
  });

  test('follows a run to its end', async () => {
    const { runId } = await rest(server.url, '/api/v2/workflows/hello/execute', { method: 'POST', body: {} });
    const page = await open(runId);
    await waitFor(async () => (await page.locator('#state').textContent()) === 'ended: success', { what: 'the run to end' });
    assert.match(await page.locator('#log').textContent(), /info  hello there/);
    await page.close();
  });

  test('a run that does not exist is reported at once, not after 30 s of retries', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    const started = Date.now();
    const page = await open(missing);
    await waitFor(async () => (await page.locator('#state').textContent()).startsWith('cannot follow'), { what: 'the refusal' });
    assert.equal(await page.locator('#state').textContent(), `cannot follow: no run ${missing} exists`);
    assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
    await page.close();
  });
});
