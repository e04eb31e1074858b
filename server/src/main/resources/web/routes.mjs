// The page's addresses, every one made from its base. The server answers each of the page's paths
// with index.html and a <base href> relative to that path that leads to the page's root (`./` at
// /, `../` at /runs/{id}: WebRoutes); the browser resolves it against the address it shows, so
// document.baseURI is the root however the page is served: http://host/ at the root of a host,
// https://host/stepstream/ behind a proxy that strips /stepstream/, which the server never learns.
// The rest of the page writes an address as it reads at the root (`/runs/…`, `/api/v2/…`,
// `/?workflowId=…`) and makes it one here; nothing else reads the base. Nothing here runs on
// import, so that the page's pure modules load in node too.

/** The page's root, under which its own paths and the API's are: an absolute URL whose path ends with `/`. */
export function root() {
  return new URL('./', document.baseURI).href;
}

/** The URL of `path`, written as at the root (`/api/v2/…`, `/runs/…`, `/?q`, `/#id`), under the page's root. */
export function urlOf(path) {
  // `./` first: a first segment with a colon would otherwise read as a scheme.
  return new URL(`./${path.replace(/^\/+/, '')}`, root());
}

/**
 * The address of `path` (as urlOf's) for a link or the history: its path, query and fragment,
 * `/runs/…` at the root of a host and `/stepstream/runs/…` under that prefix.
 */
export function href(path) {
  const url = urlOf(path);
  return url.pathname + url.search + url.hash;
}

/**
 * An address in the page shown now with this fragment (`#seq=12`): what `#seq=12` alone meant
 * before the page had a base, which makes it a fragment of the root's address instead.
 */
export function here(hash) {
  return location.pathname + location.search + hash;
}

/** Where a URL (or `location`) is in the page, as its path reads at the root (`/runs/…`); null outside the page's root. */
export function pathOf(url) {
  const rootPath = new URL(root()).pathname;
  return url.pathname.startsWith(rootPath) ? `/${url.pathname.slice(rootPath.length)}` : null;
}

/**
 * Which of the page's routes a URL (or `location`) is, `{ kind, id }` with the id as in the path
 * (encoded), or null for an address that is none of them: the router's one list, which its link
 * handler asks too.
 */
export function routeOf(url) {
  const path = pathOf(url);
  if (path === null) return null;
  let m;
  if ((m = path.match(/^\/runs\/([^/]+)$/))) return { kind: 'run', id: m[1] };
  if ((m = path.match(/^\/workflows\/([^/]+)$/))) return { kind: 'workflow', id: m[1] };
  if (path === '/compare') return { kind: 'compare' };
  if (path === '/' || path === '/index.html') return { kind: 'home' };
  return null;
}
