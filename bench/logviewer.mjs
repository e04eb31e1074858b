// The run page's log viewer on a run of LINES lines (default 1,000,000), in Debian's Chromium:
// (a) the first log line painted after page.goto, (b) frame times while scrolling through the
// log, (c) search over the whole history: Enter to the match shown, for ten terms, (d) the
// page's JS heap once every line is in, and the tab's memory (the proportional set size of the
// largest Chromium renderer process, the page's: what the heap leaves out counts there, such
// as strings kept outside it). Prints one JSON line.
//
// With CHARS, each line is that many characters long (`line N ` then x's) instead of `line N`:
// `20000 16000` is a run of 320,000,000 characters, what the page's text budget (loglist.mjs)
// is for. The JSON then also says the characters the page holds and the lines it dropped the
// text of, where the page tells them (window.__stepstream.logTextChars, logDroppedLines).
//
// Usage (after ./mvnw package, from the repository root):
//   cd web-tests && npm ci && cd .. && node bench/logviewer.mjs [LINES [CHARS]]
import { readdirSync, readFileSync } from 'node:fs';
import { launchBrowser, rest, startServer, waitFor } from '../web-tests/harness.mjs';

/** The largest Pss (kB) of the machine's Chromium renderer processes: the page's, when it is the one open. */
function rendererPss() {
  let most = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=renderer')) continue;
      const pss = Number(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8').match(/^Pss:\s+(\d+) kB/m)?.[1] ?? 0);
      most = Math.max(most, pss);
    } catch { /* a process that ended meanwhile */ }
  }
  return most;
}

const lines = Number(process.argv[2] || 1_000_000);
const chars = Number(process.argv[3] || 0);
// awk pads each line with x's to CHARS characters: one process, not a shell loop of 20,000.
const script = chars
  ? `awk -v n=${lines} -v w=${chars} 'BEGIN { pad = sprintf("%" w "s", ""); gsub(/ /, "x", pad);`
    + ` for (i = 1; i <= n; i++) { s = "line " i " "; print s substr(pad, 1, w - length(s)) } }'`
  : `seq 1 ${lines} | sed 's/^/line /'`;
const server = await startServer();
const browser = await launchBrowser();
try {
  const page = browser.context.pages()[0] || await browser.context.newPage();
  await rest(server.url, '/api/v2/workflows/flood', { method: 'PUT', yaml: `
id: flood
steps:
  - id: flood
    type: script
    run: ${JSON.stringify(script)}
` });
  const { runId } = await rest(server.url, '/api/v2/workflows/flood/execute', { method: 'POST' });
  await waitFor(async () => (await rest(server.url, `/api/v2/workflows/runs/${runId}`)).status === 'success',
    { timeout: 300_000, what: 'the run to end' });

  // (a) The first row drawn, by a MutationObserver from the page's first script on.
  await page.addInitScript(() => {
    new MutationObserver((_, observer) => {
      if (document.querySelector('.log-row')) { window.__firstRow = performance.now(); observer.disconnect(); }
    }).observe(document, { childList: true, subtree: true });
  });
  await page.goto(`${server.url}/runs/${runId}`);
  await waitFor(() => page.evaluate(() => window.__firstRow !== undefined), { what: 'the first row' });
  const firstRowMs = await page.evaluate(() => window.__firstRow);
  const t0 = Date.now();
  await waitFor(() => page.evaluate((n) => window.__stepstream.logCount() === n, lines), { timeout: 300_000, what: 'every line' });
  const allLinesMs = firstRowMs + (Date.now() - t0);

  // (d) The heap with every line in, after a collection.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  const rendererMiB = rendererPss() / 1024;
  const held = await page.evaluate(() => ({
    textChars: window.__stepstream.logTextChars?.() ?? null,
    droppedLines: window.__stepstream.logDroppedLines?.() ?? null,
  }));

  // (b) Frame times while scrolling: each frame moves the view by 3,000 px, for 5 s.
  const frames = await page.evaluate(() => new Promise((done) => {
    const v = document.querySelector('.log-viewport');
    v.scrollTop = 0;
    const deltas = [];
    let last = performance.now();
    const end = last + 5000;
    const step = (now) => {
      deltas.push(now - last);
      last = now;
      v.scrollTop = (v.scrollTop + 3000) % (v.scrollHeight - v.clientHeight);
      if (now < end) requestAnimationFrame(step); else done(deltas.slice(1));
    };
    requestAnimationFrame(step);
  }));

  // (c) Search: from Enter to the current match drawn, with its line's text.
  const terms = [lines, Math.floor(lines / 2), Math.floor(lines / 4) + 7, 77_777, lines - 12_345, 3, 424_242, 999,
    Math.floor(lines * 3 / 4), 123_456].filter((n) => n <= lines);
  const searches = [];
  for (const n of terms) {
    searches.push(await page.evaluate((text) => new Promise((done) => {
      const input = document.getElementById('log-find');
      input.value = text;
      const start = performance.now();
      input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
      const check = () => {
        const row = document.querySelector('.log-row.log-current');
        if (row && row.querySelector('.log-msg').textContent.toLowerCase().includes(text)) done(performance.now() - start);
        else requestAnimationFrame(check);
      };
      requestAnimationFrame(check);
    }), `line ${n}`));
  }

  const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(s.length * p))]; };
  const round = (x) => Math.round(x * 10) / 10;
  console.log(JSON.stringify({
    lines,
    ...(chars ? { chars, ...held } : {}),
    firstRowMs: round(firstRowMs),
    allLinesMs: Math.round(allLinesMs),
    heapMiB: round(usedSize / 1048576),
    rendererMiB: round(rendererMiB),
    scrollFrames: frames.length,
    frameMs: { p50: round(pct(frames, 0.5)), p95: round(pct(frames, 0.95)), max: round(Math.max(...frames)) },
    searchMs: { p50: round(pct(searches, 0.5)), max: round(Math.max(...searches)), each: searches.map(round) },
  }));
} finally {
  await browser.close();
  await server.stop();
  server.cleanup();
}
