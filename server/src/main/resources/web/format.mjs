// Small, pure helpers for showing times, durations and values.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) node.append(c);
  return node;
}

export function duration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '–';
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} m ${Math.floor(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} m`;
}

export function dateTime(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  return d.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
}

/** The time of day, to the ms, of an ISO time or of epoch ms (the log keeps numbers); '' for none. */
export function clock(time) {
  if (time === null || time === undefined || time === '' || Number.isNaN(time)) return '';
  const d = new Date(time);
  return d.toTimeString().slice(0, 8) + '.' + String(d.getMilliseconds()).padStart(3, '0');
}

export function value(v) {
  if (v === undefined) return '';
  if (typeof v === 'string') return JSON.stringify(v);
  return JSON.stringify(v);
}

export const STATUS_ICON = {
  pending: '○', queued: '○', running: '◔', waiting: '‖', success: '✓', failed: '✗',
  skipped: '↷', cancelled: '⊘', interrupted: '⚠',
};

export function statusBadge(status) {
  return el('span', { class: `status status-${status}`, 'data-status': status },
    el('span', { class: 'icon', 'aria-hidden': 'true', text: STATUS_ICON[status] || '?' }), ` ${status}`);
}
