// A line diff, the shape the runs' comparison answers (docs/api.md): [{op: ' ' | '-' | '+', text}].
// Pure and dependency-free: the common head and tail are set aside, then the longest common
// subsequence of what is left is read back as the fewest removed and added lines.

/** Past this many cells (lines of one side times lines of the other) the middle is shown as all removed, then all added. */
const MAX_CELLS = 4_000_000;

/** @param {string[]} a the old lines @param {string[]} b the new lines */
export function lineDiff(a, b) {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const same = (lines) => lines.map((text) => ({ op: ' ', text }));
  const x = a.slice(head, a.length - tail);
  const y = b.slice(head, b.length - tail);
  return [...same(a.slice(0, head)), ...middle(x, y), ...same(a.slice(a.length - tail))];
}

function middle(x, y) {
  const removed = x.map((text) => ({ op: '-', text }));
  const added = y.map((text) => ({ op: '+', text }));
  if (!x.length || !y.length || x.length * y.length > MAX_CELLS) return [...removed, ...added];
  // lcs[i][j]: the length of the longest common subsequence of x[i..] and y[j..], row by row.
  const width = y.length + 1;
  const lcs = new Uint32Array((x.length + 1) * width);
  for (let i = x.length - 1; i >= 0; i--) {
    for (let j = y.length - 1; j >= 0; j--) {
      lcs[i * width + j] = x[i] === y[j] ? lcs[(i + 1) * width + j + 1] + 1
        : Math.max(lcs[(i + 1) * width + j], lcs[i * width + j + 1]);
    }
  }
  const out = [];
  let i = 0;
  let j = 0;
  while (i < x.length && j < y.length) {
    if (x[i] === y[j]) { out.push({ op: ' ', text: x[i] }); i++; j++; }
    else if (lcs[(i + 1) * width + j] >= lcs[i * width + j + 1]) out.push({ op: '-', text: x[i++] });
    else out.push({ op: '+', text: y[j++] });
  }
  while (i < x.length) out.push({ op: '-', text: x[i++] });
  while (j < y.length) out.push({ op: '+', text: y[j++] });
  return out;
}

/**
 * A workflow definition as lines to compare: pretty JSON without what the server adds to it
 * (version, updatedAt, a schedule's nextRunAt), so that only the definition's own changes show.
 */
export function definitionLines(definition) {
  const { version, updatedAt, ...rest } = definition;
  if (Array.isArray(rest.triggers)) rest.triggers = rest.triggers.map(({ nextRunAt, ...trigger }) => trigger);
  return JSON.stringify(rest, null, 2).split('\n');
}
