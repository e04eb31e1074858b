// The run page's facts that the header did not show before: the workflow's name beside its id,
// and the run's inputs. Text only, via textContent.
import { el, value } from './format.mjs';
import { href } from './routes.mjs';

/** The header's title: the workflow's name linked to its page, its id beside it when the name differs. */
export function workflowTitle(detail, runId) {
  const name = detail.workflowName || detail.workflowId;
  return el('h1', {}, el('a', { href: href(`/workflows/${encodeURIComponent(detail.workflowId)}`), text: name }),
    name !== detail.workflowId ? el('span', { class: 'muted workflow-id', text: ` (${detail.workflowId})` }) : null,
    el('span', { class: 'muted run-id', text: ` run ${runId.slice(0, 8)}` }));
}

/** The Inputs fact: each input's name and value, in name order; `none` for a run given none. */
export function inputsFact(inputs) {
  const names = Object.keys(inputs ?? {}).sort();
  return el('div', { class: 'fact-inputs' }, el('dt', { text: 'Inputs' }),
    el('dd', { class: 'run-inputs' }, names.length
      ? el('dl', { class: 'inputs' }, names.map((k) => el('div', { 'data-input': k },
        el('dt', {}, el('code', { text: k })), el('dd', {}, el('code', { text: value(inputs[k]) })))))
      : el('span', { class: 'muted', text: 'none' })));
}
