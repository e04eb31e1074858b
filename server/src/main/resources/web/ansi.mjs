// Colours in a log message, and nothing else. A well-formed SGR sequence (ESC [, digits and ;
// only, m) styles the text after it: 16 colours (30–37, 90–97, 40–47, 100–107), 256 (38;5;n,
// 48;5;n), 24-bit (38;2;r;g;b, 48;2;r;g;b), bold 1, dim 2, italic 3, underline 4, inverse 7 and
// their resets (0, 22, 23, 24, 27, 39, 49); other SGR codes (blink, hidden, strike…) are read and
// ignored. Nothing else is interpreted, nor dropped: it is shown. ESC is shown as ␛ and the rest
// of its sequence as the text it is (an OSC title `ESC ] 0;t BEL` reads ␛]0;t␇), other C0
// controls as their control pictures (␍ ␈ ␀…), DEL as ␡, C1 controls as ␛ and their 7-bit
// equivalent (0x9B as ␛[), and a line feed (or CR LF) as ⏎ in text kept on one line (plainText,
// what the log's filter looks in); a tab stays a tab. With `{ lines: true }` (the log viewer,
// which shows a message of several lines whole, its row as high as its lines) a line feed or
// CR LF stays a line feed, and a CR alone is still ␍. These are the rules of the CLI on a
// terminal (cli/SafeText.java). Styles carry from one SGR to the next within a message only: each
// message starts plain. The spans are built with textContent and CSSOM, never innerHTML. Pure but
// for render(): node tests it.

const CONTROL = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/;
const CONTROLS = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/g;
const SGR = /\x1b\[([0-9;]*)m/y;

/** Whether a message is plain text, to show as it is: true for nearly all, and cheap to ask. */
export function isPlain(message) {
  return !CONTROL.test(message);
}

/** How a control character is shown. */
function visible(code) {
  if (code === 0x0a) return '⏎';
  if (code < 0x20) return String.fromCharCode(0x2400 + code);
  if (code === 0x7f) return '␡';
  return '␛' + String.fromCharCode(code - 0x40);
}

/**
 * The message as runs of text, each with its style: `{ text, color, background, classes }`,
 * colours as CSS values (`var(--ansi-1)` for the 16 of the palette, `rgb(…)` otherwise) or
 * undefined for the row's own, classes a list of `ansi-bold`, `ansi-dim`, `ansi-italic`,
 * `ansi-underline`.
 */
export function parse(message, { lines = false } = {}) {
  const runs = [];
  let style = {};
  let text = '';
  const flush = () => {
    if (text) runs.push({ text, ...resolve(style) });
    text = '';
  };
  let from = 0;
  CONTROLS.lastIndex = 0;
  for (let m; (m = CONTROLS.exec(message));) {
    const i = m.index;
    text += message.slice(from, i);
    const code = message.charCodeAt(i);
    SGR.lastIndex = i;
    const sgr = code === 0x1b ? SGR.exec(message) : null;
    if (sgr) {
      flush();
      style = apply(style, sgr[1]);
      from = SGR.lastIndex;
    } else if (code === 0x0d && message.charCodeAt(i + 1) === 0x0a) {
      text += lines ? '\n' : '⏎';
      from = i + 2;
    } else if (code === 0x0a && lines) {
      text += '\n';
      from = i + 1;
    } else {
      text += visible(code);
      from = i + 1;
    }
    CONTROLS.lastIndex = from;
  }
  text += message.slice(from);
  flush();
  return runs;
}

/** The text of a message as shown, without its styles: what a search looks in. */
export function plainText(message) {
  return isPlain(message) ? message : parse(message).map((run) => run.text).join('');
}

/**
 * Fills `target` (emptied first) with the message: its text, or styled spans when it has SGR;
 * `options` as parse()'s.
 */
export function render(target, message, options) {
  if (isPlain(message)) {
    target.textContent = message;
    return;
  }
  target.replaceChildren(...parse(message, options).map((run) => {
    if (!run.color && !run.background && run.classes.length === 0) return run.text;
    const span = document.createElement('span');
    span.textContent = run.text;
    if (run.classes.length) span.className = run.classes.join(' ');
    if (run.color) span.style.color = run.color;
    if (run.background) span.style.backgroundColor = run.background;
    return span;
  }));
}

/** The style after an SGR with these parameters; a new object, the old one is kept by a run. */
function apply(previous, parameters) {
  const style = { ...previous };
  const p = parameters === '' ? [0] : parameters.split(';').map((x) => (x === '' ? 0 : Number(x)));
  for (let k = 0; k < p.length; k++) {
    const n = p[k];
    if (n === 38 || n === 48) {
      let colour;
      if (p[k + 1] === 5 && k + 2 < p.length) {
        if (p[k + 2] <= 255) colour = p[k + 2];
        k += 2;
      } else if (p[k + 1] === 2 && k + 4 < p.length) {
        const rgb = p.slice(k + 2, k + 5);
        if (rgb.every((v) => v <= 255)) colour = rgb;
        k += 4;
      } else {
        break; // no colour follows: what comes after cannot be read either
      }
      if (colour !== undefined) style[n === 38 ? 'fg' : 'bg'] = colour;
    } else if (n === 0) {
      for (const key of Object.keys(style)) delete style[key];
    } else if (n === 1) style.bold = true;
    else if (n === 2) style.dim = true;
    else if (n === 3) style.italic = true;
    else if (n === 4) style.underline = true;
    else if (n === 7) style.inverse = true;
    else if (n === 22) { delete style.bold; delete style.dim; }
    else if (n === 23) delete style.italic;
    else if (n === 24) delete style.underline;
    else if (n === 27) delete style.inverse;
    else if (n >= 30 && n <= 37) style.fg = n - 30;
    else if (n >= 90 && n <= 97) style.fg = n - 90 + 8;
    else if (n === 39) delete style.fg;
    else if (n >= 40 && n <= 47) style.bg = n - 40;
    else if (n >= 100 && n <= 107) style.bg = n - 100 + 8;
    else if (n === 49) delete style.bg;
  }
  return style;
}

/** A style as CSS: inverse swaps the colours, the row's own standing in for those not set. */
function resolve(style) {
  let color = css(style.fg);
  let background = css(style.bg);
  if (style.inverse) [color, background] = [background ?? 'var(--bg)', color ?? 'var(--fg)'];
  const classes = ['bold', 'dim', 'italic', 'underline'].filter((name) => style[name]).map((name) => `ansi-${name}`);
  return { color, background, classes };
}

/** A colour of SGR as CSS: one of the 16 of the palette (style.css), the 6×6×6 cube, the greys, or r;g;b. */
function css(colour) {
  if (colour === undefined) return undefined;
  if (Array.isArray(colour)) return `rgb(${colour.join(', ')})`;
  if (colour < 16) return `var(--ansi-${colour})`;
  if (colour >= 232) {
    const grey = 8 + (colour - 232) * 10;
    return `rgb(${grey}, ${grey}, ${grey})`;
  }
  const level = (v) => (v === 0 ? 0 : 55 + v * 40);
  const i = colour - 16;
  return `rgb(${level(Math.floor(i / 36))}, ${level(Math.floor(i / 6) % 6)}, ${level(i % 6)})`;
}
