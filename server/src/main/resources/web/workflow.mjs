// One workflow: its definition, and an Execute form built from its `inputs`; with ?version=N, a
// kept version (a deleted workflow's too), read only; and the list of its versions.
import { api } from './api.mjs';
import { el, dateTime } from './format.mjs';
import { isGraph, byLevel, needsText } from './graph.mjs';
import { showNotFound } from './notfound.mjs';
import { href } from './routes.mjs';

export async function showWorkflow(main, id, navigate) {
  const path = `/api/v2/workflows/${encodeURIComponent(id)}`;
  const asked = new URLSearchParams(location.search).get('version');
  const [wf, current, versions] = await Promise.all([
    // A version it does not have (404 version_not_found), or one that is no version number (400
    // naming the parameter): null, said below.
    api(asked === null ? path : `${path}?version=${encodeURIComponent(asked)}`).catch((err) => {
      if (err.code === 'version_not_found' || (err.status === 400 && err.details?.parameter === 'version')) return null;
      throw err;
    }),
    asked === null ? null : api(path).catch((err) => { if (err.status === 404) return null; throw err; }),
    api(`${path}/versions`).then((body) => body.versions, () => []),
  ]);
  if (!wf) {
    // The API says version_not_found for an id that never had a version too: the list of versions tells.
    showNotFound(main, versions.length ? { kind: 'version', id, version: asked, latest: versions[0].version, deleted: !current }
      : { kind: 'workflow', id });
    return;
  }
  // Only the current version runs: an older one, or a deleted workflow's, is shown without the form.
  const old = asked !== null && current?.version !== wf.version;
  const inputs = Object.entries(wf.inputs || {});
  const errors = el('div', { class: 'form-errors', role: 'alert' });
  const fields = inputs.map(([name, spec]) => field(name, spec));
  const form = el('form', { id: 'execute', class: 'execute', onsubmit: submit, 'aria-labelledby': 'exec-h' },
    el('h2', { id: 'exec-h', text: 'Execute' }),
    inputs.length ? fields.map((f) => f.node) : el('p', { class: 'muted', text: 'This workflow takes no inputs.' }),
    errors,
    el('div', { class: 'actions' }, el('button', { type: 'submit', class: 'primary', text: 'Execute' })));

  main.replaceChildren(
    el('p', { class: 'crumbs' }, el('a', { href: href('/'), text: '← Runs & workflows' })),
    el('h1', {}, wf.name || wf.id, el('span', { class: 'muted', text: ` ${wf.id} · v${wf.version}` })),
    // replaceChildren, unlike el, would show a null as the text "null".
    wf.description ? el('p', { text: wf.description }) : '',
    old ? el('p', { class: 'version-note' }, `This is version ${wf.version}, kept for the runs that used it; `,
      current ? el('a', { href: href(`/workflows/${encodeURIComponent(wf.id)}`), text: `the current one is v${current.version}` })
        : 'the workflow has been deleted since', '.') : '',
    el('p', {}, el('a', { href: href(`/?workflowId=${encodeURIComponent(wf.id)}`), text: 'Runs of this workflow' })),
    old ? '' : form,
    wf.triggers?.length ? triggersPanel(wf.triggers) : '',
    versions.length > 1 ? versionsPanel(wf, versions) : '',
    el('section', { class: 'panel', 'aria-labelledby': 'def-h' }, el('h2', { id: 'def-h', text: 'Steps' }),
      isGraph(wf.steps) ? graphSteps(wf) : el('ol', { class: 'def-steps' }, wf.steps.map(defStep)),
      el('details', {}, el('summary', { text: 'Definition (JSON)' }), el('pre', { text: JSON.stringify(wf, null, 2) }))));
  if (location.hash === '#execute') (fields[0]?.input || form.querySelector('button')).focus();

  async function submit(ev) {
    ev.preventDefault();
    errors.replaceChildren();
    const values = {};
    const problems = [];
    for (const f of fields) {
      try {
        const v = f.read();
        if (v !== undefined) values[f.name] = v;
      } catch (err) { problems.push(`${f.name}: ${err.message}`); }
    }
    if (problems.length) { showErrors(problems); return; }
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const res = await api(`/api/v2/workflows/${encodeURIComponent(wf.id)}/execute`, { method: 'POST', body: { inputs: values } });
      navigate(href(`/runs/${res.runId}`));
    } catch (err) {
      showErrors(Array.isArray(err.details) ? err.details.map((d) => `${d.path}: ${d.message}`) : [err.message]);
    } finally { button.disabled = false; }
  }

  function showErrors(list) {
    errors.replaceChildren(el('ul', {}, list.map((m) => el('li', { text: m }))));
  }
}

function defStep(s) {
  const needs = needsText(s.needs);
  return el('li', { 'data-step': s.id },
    el('strong', { text: s.name || s.id }), el('span', { class: 'muted', text: ` ${s.id} · ${s.type}` }),
    s.when ? el('span', { class: 'muted', text: ` · when ${s.when}` }) : null,
    s.type === 'workflow' && s.workflow
      ? [' → ', el('a', { class: 'sub-workflow', href: href(`/workflows/${encodeURIComponent(s.workflow)}`), text: s.workflow })] : null,
    needs ? el('span', { class: 'step-needs muted', text: needs }) : null);
}

/** Every kept version, newest first, each a link to it; the one shown is marked. */
function versionsPanel(wf, versions) {
  return el('section', { class: 'panel', 'aria-labelledby': 'ver-h' }, el('h2', { id: 'ver-h', text: 'Versions' }),
    el('ol', { class: 'def-versions' }, versions.map((v) => el('li', { 'data-version': v.version },
      v.version === wf.version ? el('strong', { 'aria-current': 'page', text: `v${v.version}` })
        : el('a', { href: href(`/workflows/${encodeURIComponent(wf.id)}?version=${v.version}`), text: `v${v.version}` }),
      el('span', { class: 'muted', text: ` · ${dateTime(v.updatedAt)}` })))));
}

/** What starts runs besides the form: each schedule with its cron, time zone and next run time. */
function triggersPanel(triggers) {
  return el('section', { class: 'panel', 'aria-labelledby': 'trig-h' }, el('h2', { id: 'trig-h', text: 'Triggers' }),
    el('ul', { class: 'def-triggers' }, triggers.map((t) => el('li', { 'data-trigger': t.id },
      el('strong', { text: t.id }), el('span', { class: 'muted', text: ` · ${t.type}` }),
      t.type === 'schedule' ? [
        el('span', { class: 'muted', text: ` · ${t.cron} (${t.timezone || 'UTC'})` }),
        ' · next run ',
        t.nextRunAt ? el('time', { class: 'next-run', datetime: t.nextRunAt, title: t.nextRunAt, text: dateTime(t.nextRunAt) })
          : el('span', { class: 'next-run muted', text: 'never' }),
      ] : null))));
}

/** A graph's steps by level, as the run page groups them, so that one sees before a run what waits on what. */
function graphSteps(wf) {
  return [
    el('p', { class: 'muted', text: 'The steps form a graph: each starts once every step it needs has ended, '
      + `so steps that do not wait on each other run at once${wf.maxParallel ? ` (at most ${wf.maxParallel})` : ''}.` }),
    el('ol', { class: 'def-levels' }, byLevel(wf.steps).map((group, n) =>
      el('li', { class: 'def-level', 'data-level': n },
        el('h3', { class: 'level-head', text: `Level ${n}` }),
        el('ul', { class: 'def-steps' }, group.map(defStep))))),
  ];
}

function field(name, spec) {
  const id = `in-${name}`;
  const type = spec.type || 'string';
  const has = Object.hasOwn(spec, 'default');
  let input;
  if (type === 'boolean') input = el('input', { id, type: 'checkbox', checked: has && spec.default === true });
  else if (type === 'number') input = el('input', { id, type: 'number', step: 'any', value: has ? String(spec.default) : null, required: spec.required });
  else if (type === 'object' || type === 'array') input = el('textarea', { id, rows: '3', spellcheck: 'false', required: spec.required },
    has ? JSON.stringify(spec.default, null, 2) : '');
  else input = el('input', { id, type: 'text', value: has ? spec.default : null, required: spec.required });
  const node = el('div', { class: 'field' },
    el('label', { for: id }, name, el('span', { class: 'muted', text: ` ${type}${spec.required ? ', required' : ''}` })),
    input);
  return {
    name, node, input,
    read() {
      if (type === 'boolean') return input.checked;
      const raw = input.value;
      if (raw === '') return undefined; // let the server apply the default, or say it is required
      if (type === 'number') {
        const n = Number(raw);
        if (Number.isNaN(n)) throw new Error('expected a number');
        return n;
      }
      if (type === 'object' || type === 'array') {
        try { return JSON.parse(raw); } catch { throw new Error('expected JSON'); }
      }
      return raw;
    },
  };
}
