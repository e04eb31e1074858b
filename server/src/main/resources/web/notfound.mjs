// The page for an address that shows nothing: an unknown path, a run, a workflow or a version of
// one that does not exist (or no longer does). A page of its own, with ways on, rather than the
// home page or a bare heading. Text only, via textContent.
import { el } from './format.mjs';
import { href } from './routes.mjs';

/**
 * What was not found, in words, for each kind of address the router knows.
 * @param {{kind: 'path'|'run'|'workflow'|'version'|'compare', id?: string, version?: string, message?: string}} what
 */
export function notFoundText(what) {
  switch (what.kind) {
    case 'run': return `There is no run ${what.id}: it may have been deleted (by retention or by hand), or the address is mistyped.`;
    case 'workflow': return `There is no workflow “${what.id}”: it may have been deleted, or the address is mistyped.`;
    case 'version': return `${what.id} has no version ${what.version}.`;
    case 'compare': return `A run to compare does not exist: ${what.message || 'it may have been deleted'}.`;
    default: return `There is no page at ${what.id}.`;
  }
}

/**
 * Shows the not-found page in `main` and names it in the tab. For a workflow's version,
 * `what.latest` is its newest version and `what.deleted` whether the workflow is, to lead there.
 */
export function showNotFound(main, what) {
  document.title = 'Not found · stepstream';
  const id = encodeURIComponent(what.id);
  const latest = what.kind === 'version' && what.latest ? el('li', {}, what.deleted
    ? el('a', { href: href(`/workflows/${id}?version=${what.latest}`), text: `its last version, v${what.latest} (deleted since)` })
    : el('a', { href: href(`/workflows/${id}`), text: `the current version, v${what.latest}` })) : null;
  main.replaceChildren(el('section', { class: 'not-found', 'aria-labelledby': 'nf-h' },
    el('h1', { id: 'nf-h', text: 'Not found' }),
    el('p', { class: 'not-found-what', text: notFoundText(what) }),
    el('ul', { class: 'not-found-links' }, latest,
      el('li', {}, el('a', { href: href('/#runs-h'), text: 'All runs' })),
      el('li', {}, el('a', { href: href('/#wf-h'), text: 'All workflows' })))));
}
