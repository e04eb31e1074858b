// The page's entry: a small router over real links (/, /workflows/{id}, /runs/{runId},
// /compare?a=&b=, each under the page's root: routes.mjs); any other path, and a run or workflow
// that does not exist, is the not-found page.
import { cleanToken, isToken, setToken, token, tokenMalformed, tokenTrouble } from './api.mjs';
import { el } from './format.mjs';
import { showHome } from './home.mjs';
import { showRun } from './run.mjs';
import { showWorkflow } from './workflow.mjs';
import { showNotFound } from './notfound.mjs';
import { showCompare } from './compare.mjs';
import { href, pathOf, routeOf } from './routes.mjs';

const main = document.getElementById('main');
const hooks = { current: null };
let leave = null;

// For tests and debugging: the live view's handles (drop the connection, read the seqs).
window.__stepstream = {
  dropConnection: () => hooks.current?.dropConnection(),
  lastSeq: () => hooks.current?.lastSeq?.(),
  logSeqs: () => hooks.current?.logSeqs?.() || [],
  logCount: () => hooks.current?.logCount?.() ?? 0,
  // The log's text budget (loglist.mjs): the characters of message text held, and the lines without theirs.
  logTextChars: () => hooks.current?.logTextChars?.() ?? 0,
  logDroppedLines: () => hooks.current?.logDroppedLines?.() ?? 0,
  revealLog: (seq) => hooks.current?.revealLog?.(seq),
  connection: () => hooks.current?.state?.(),
};

let routed = null; // the path and query last shown: a change of the hash alone is the page's own (#seq=N)

async function route() {
  routed = location.pathname + location.search;
  showTokenNote();
  leave?.();
  leave = null;
  hooks.current = null;
  const to = routeOf(location);
  let what = { kind: 'path', id: pathOf(location) ?? location.pathname };   // what a 404 from the API says is missing
  try {
    if (to?.kind === 'run') {
      document.title = 'Run · stepstream';
      what = { kind: 'run', id: decodeURIComponent(to.id) };
      leave = await showRun(main, what.id, hooks, navigate);
    } else if (to?.kind === 'workflow') {
      what = { kind: 'workflow', id: decodeURIComponent(to.id) };
      document.title = `${what.id} · stepstream`;
      await showWorkflow(main, what.id, navigate);
    } else if (to?.kind === 'compare') {
      document.title = 'Compare · stepstream';
      what = { kind: 'compare' };
      const q = new URLSearchParams(location.search);
      await showCompare(main, q.get('a') || '', q.get('b') || '', navigate);
    } else if (to?.kind === 'home') {
      document.title = 'stepstream';
      leave = await showHome(main, hooks);
    } else {
      showNotFound(main, what);
    }
  } catch (err) {
    // A run's address whose id is no UUID (400 from the API) names no run either.
    if (err.status === 404 || (err.status === 400 && what.kind === 'run')) {
      showNotFound(main, { ...what, message: err.message });
      return;
    }
    // Every page reads with the token: without one the server accepts, none can be shown. The
    // Token field is opened, and saving a token there shows the page.
    if (err.status === 401) {
      const trouble = tokenTrouble();
      main.replaceChildren(el('h1', { text: 'Token needed' }),
        el('p', { class: 'error token-needed', text: `${trouble[0].toUpperCase()}${trouble.slice(1)}.` }));
      document.querySelector('details.token').open = true;
      return;
    }
    main.replaceChildren(el('h1', { text: 'Something went wrong' }),
      el('p', { class: 'error', text: err.message }), el('p', {}, el('a', { href: href('/'), text: 'Back to the runs' })));
  }
}

/** Shows the page at `address`, one of routes.mjs's hrefs, as a new entry of the history. */
export function navigate(address) {
  history.pushState(null, '', address);
  route().then(() => main.focus({ preventScroll: true }));
}

// A click on a link to one of the page's routes is routed here; any other link is the browser's:
// another origin, a blob: or data: URL (a blob's origin is this one: its protocol tells), a link
// to save (download) or to open elsewhere (target), the API, and the server's other paths. A link
// to a place in this page (`#main`), which the base makes a link to the root's, goes there here.
document.addEventListener('click', (ev) => {
  const a = ev.target.closest('a[href]');
  if (!a || ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
  if (a.hasAttribute('download') || (a.target && a.target !== '_self')) return;
  if (a.getAttribute('href').startsWith('#')) {
    ev.preventDefault();
    location.hash = a.getAttribute('href');
    return;
  }
  const url = new URL(a.href, location.href);
  if (url.protocol !== location.protocol || url.origin !== location.origin || !routeOf(url)) return;
  if (url.pathname === location.pathname && url.search === location.search && url.hash) return;
  ev.preventDefault();
  navigate(url.pathname + url.search + url.hash);
});
window.addEventListener('popstate', () => {
  if (location.pathname + location.search !== routed) route();
});

const tokenForm = document.getElementById('token-form');
const tokenInput = document.getElementById('token-input');
const tokenNote = document.getElementById('token-note');
tokenInput.value = token();
// A token that is no token is not saved (nor sent, if an older page saved it): said here, never shown.
tokenForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const value = cleanToken(tokenInput.value);
  if (value && !isToken(value)) {
    showTokenNote('That is not a valid token, so it was not saved: a token is one word, with no space, comma or quote'
      + ' (ss_…, or a JWT).');
    return;
  }
  setToken(value);
  tokenInput.value = value;
  route();
});

/** The note under Token: `text`, or by default whether the token saved is no token; hidden when empty. */
function showTokenNote(text = tokenMalformed() ? 'The token saved under Token is not a valid token: set one under Token.' : '') {
  tokenNote.textContent = text;
  tokenNote.hidden = !text;
}

route();
