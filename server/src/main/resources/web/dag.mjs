// A graph workflow's steps drawn as a DAG (inline SVG) on the run page: one column per level
// (graph.mjs), an edge from each step to each step that needs it, each node coloured by its step's
// status as the events arrive, and each node a way to the step's row in the timeline. Readable for
// some 50 steps: the columns scroll inside their box, names are cut with the whole in a tooltip.
import { levels } from './graph.mjs';
import { STATUS_ICON } from './format.mjs';

const NS = 'http://www.w3.org/2000/svg';
const W = 168;          // a node's width and height
const H = 30;
const GAP_X = 56;       // between columns: room for the edges' curves
const GAP_Y = 10;
const PAD = 8;
const MAX_NAME = 19;    // characters of a name that fit in a node

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) node.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

/**
 * Where each step goes: its column (level) and row. Within a column, steps are ordered by the mean
 * row of the steps they need (fewer crossing edges), ties in definition order; then each column is
 * centred on the tallest. Pure: exported for tests.
 * @param {{stepId: string, needs: string[]}[]} steps in definition order
 * @returns {{pos: Map<string, {x: number, y: number}>, width: number, height: number}}
 */
export function layout(steps) {
  const level = levels(steps, (s) => s.stepId);
  const columns = [];
  steps.forEach((s, i) => (columns[level.get(s.stepId)] ??= []).push({ s, i }));
  const row = new Map();
  for (const column of columns) {
    const mean = ({ s, i }) => {
      const rows = (s.needs ?? []).filter((n) => row.has(n)).map((n) => row.get(n));
      return rows.length ? rows.reduce((a, b) => a + b, 0) / rows.length : i;
    };
    column.sort((p, q) => mean(p) - mean(q) || p.i - q.i);
    column.forEach(({ s }, r) => row.set(s.stepId, r));
  }
  const tallest = Math.max(1, ...columns.map((c) => c.length));
  const pos = new Map();
  columns.forEach((column, c) => {
    const offset = ((tallest - column.length) * (H + GAP_Y)) / 2;
    column.forEach(({ s }, r) => pos.set(s.stepId, { x: PAD + c * (W + GAP_X), y: PAD + offset + r * (H + GAP_Y) }));
  });
  return { pos, width: 2 * PAD + columns.length * W + Math.max(0, columns.length - 1) * GAP_X,
    height: 2 * PAD + tallest * H + (tallest - 1) * GAP_Y };
}

function cut(name) {
  return name.length > MAX_NAME ? `${name.slice(0, MAX_NAME - 1)}…` : name;
}

export class DagView {
  /**
   * @param {{stepId: string, stepName: string, needs: string[], status: string}[]} steps in definition order
   * @param {{onPick(stepId: string): void}} sink told when a node is clicked, or Enter or Space pressed on it
   */
  constructor(steps, sink) {
    const { pos, width, height } = layout(steps);
    this.nodes = new Map();
    this.edges = [];
    const edges = svg('g', { class: 'dag-edges' });
    for (const s of steps) {
      const to = pos.get(s.stepId);
      for (const need of s.needs ?? []) {
        const from = pos.get(need);
        if (!from) continue;
        const x1 = from.x + W; const y1 = from.y + H / 2; const x2 = to.x; const y2 = to.y + H / 2;
        const bend = Math.max(GAP_X / 2, (x2 - x1) / 3);
        const path = svg('path', { class: 'dag-edge', 'data-from': need, 'data-to': s.stepId,
          d: `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}` });
        this.edges.push({ from: need, path });
        edges.append(path);
      }
    }
    const nodes = svg('g', { class: 'dag-nodes' });
    for (const s of steps) {
      const { x, y } = pos.get(s.stepId);
      const title = svg('title');
      const icon = svg('text', { class: 'dag-icon', x: 14, y: H / 2, 'aria-hidden': 'true' });
      const g = svg('g', { class: 'dag-node', 'data-step': s.stepId, transform: `translate(${x},${y})`,
        tabindex: '0', role: 'link' },
      title, svg('rect', { width: W, height: H, rx: 6 }), icon,
      svg('text', { class: 'dag-name', x: 28, y: H / 2 }, document.createTextNode(cut(s.stepName))));
      const pick = () => sink.onPick(s.stepId);
      g.addEventListener('click', pick);
      g.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); pick(); }
      });
      this.nodes.set(s.stepId, { g, title, icon, name: s.stepName });
      nodes.append(g);
    }
    this.svg = svg('svg', { class: 'dag-svg', width, height, viewBox: `0 0 ${width} ${height}`,
      role: 'group', 'aria-label': `The graph of ${steps.length} steps` }, edges, nodes);
    this.node = document.createElement('div');
    this.node.className = 'dag';
    this.node.append(this.svg);
    this.update(steps);
  }

  /** Colours each node (and the edges out of it) by its step's status now. */
  update(steps) {
    const status = new Map();
    for (const s of steps) {
      const n = this.nodes.get(s.stepId);
      if (!n) continue;
      status.set(s.stepId, s.status);
      n.g.setAttribute('data-status', s.status);
      n.g.setAttribute('class', `dag-node status-${s.status}`);
      n.g.setAttribute('aria-label', `${n.name}: ${s.status}`);
      n.icon.textContent = STATUS_ICON[s.status] || '?';
      n.title.textContent = `${n.name} (${s.stepId}): ${s.status}`;
    }
    for (const e of this.edges) e.path.setAttribute('data-status', status.get(e.from) ?? 'pending');
  }
}
