// The web page's reading of colours in log messages (src/main/resources/web/ansi.mjs): SGR
// sequences become styles, every other control is shown, never interpreted. Pure node: no
// browser, no server.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isPlain, parse, plainText } from '../server/src/main/resources/web/ansi.mjs';

/** The runs of a message, with only the style fields that are set. */
const runs = (message) => parse(message).map(({ text, color, background, classes }) => ({
  text,
  ...(color && { color }),
  ...(background && { background }),
  ...(classes.length && { classes: classes.join(' ') }),
}));

describe('colours', () => {
  test('a message without control characters is plain, as it is, tabs included', () => {
    assert.equal(isPlain('line 1\twith a tab, é ✔ 日本 and a \\e that is text'), true);
    assert.deepEqual(runs('plain'), [{ text: 'plain' }]);
    assert.equal(plainText('plain\ttext'), 'plain\ttext');
  });

  test('16 colours, foreground and background, normal and bright', () => {
    assert.deepEqual(runs('\x1b[31mred\x1b[0m \x1b[92mbright green\x1b[39m \x1b[44mon blue\x1b[49m \x1b[107mon white'), [
      { text: 'red', color: 'var(--ansi-1)' },
      { text: ' ' },
      { text: 'bright green', color: 'var(--ansi-10)' },
      { text: ' ' },
      { text: 'on blue', background: 'var(--ansi-4)' },
      { text: ' ' },
      { text: 'on white', background: 'var(--ansi-15)' },
    ]);
  });

  test('256 colours: the palette, the 6×6×6 cube and the greys', () => {
    assert.deepEqual(runs('\x1b[38;5;9ma\x1b[38;5;196mb\x1b[38;5;21mc\x1b[48;5;232md\x1b[48;5;255me'), [
      { text: 'a', color: 'var(--ansi-9)' },
      { text: 'b', color: 'rgb(255, 0, 0)' },
      { text: 'c', color: 'rgb(0, 0, 255)' },
      { text: 'd', color: 'rgb(0, 0, 255)', background: 'rgb(8, 8, 8)' },
      { text: 'e', color: 'rgb(0, 0, 255)', background: 'rgb(238, 238, 238)' },
    ]);
    assert.deepEqual(runs('\x1b[38;5;208mx'), [{ text: 'x', color: 'rgb(255, 135, 0)' }]);
  });

  test('truecolour, foreground and background', () => {
    assert.deepEqual(runs('\x1b[38;2;0;128;255mfg\x1b[48;2;10;20;30mboth\x1b[0m'), [
      { text: 'fg', color: 'rgb(0, 128, 255)' },
      { text: 'both', color: 'rgb(0, 128, 255)', background: 'rgb(10, 20, 30)' },
    ]);
  });

  test('bold, dim, italic, underline and inverse, each with its reset', () => {
    assert.deepEqual(runs('\x1b[1mB\x1b[2mBD\x1b[22m\x1b[3mI\x1b[23m\x1b[4mU\x1b[24m\x1b[7;31mV\x1b[27mR\x1b[7mW'), [
      { text: 'B', classes: 'ansi-bold' },
      { text: 'BD', classes: 'ansi-bold ansi-dim' },
      { text: 'I', classes: 'ansi-italic' },
      { text: 'U', classes: 'ansi-underline' },
      { text: 'V', color: 'var(--bg)', background: 'var(--ansi-1)' },
      { text: 'R', color: 'var(--ansi-1)' },
      { text: 'W', color: 'var(--bg)', background: 'var(--ansi-1)' },
    ]);
    assert.deepEqual(runs('\x1b[7minverse'), [{ text: 'inverse', color: 'var(--bg)', background: 'var(--fg)' }]);
  });

  test('several codes in one sequence, 0 and an empty one reset all, and what comes after stays', () => {
    assert.deepEqual(runs('\x1b[1;4;38;5;0;48;2;1;2;3mall\x1b[mnone\x1b[31;0mnone\x1b[0;32mgreen'), [
      { text: 'all', color: 'var(--ansi-0)', background: 'rgb(1, 2, 3)', classes: 'ansi-bold ansi-underline' },
      { text: 'none' },
      { text: 'none' },
      { text: 'green', color: 'var(--ansi-2)' },
    ]);
  });

  test('codes that are not supported or out of range change nothing', () => {
    assert.deepEqual(runs('\x1b[5;8;9mkept\x1b[38;5;300mstill\x1b[38;2;256;0;0mplain'), [
      { text: 'kept' }, { text: 'still' }, { text: 'plain' },
    ]);
  });
});

describe('everything else is shown, never interpreted', () => {
  test('an OSC title, erase, cursor moves and DEC private modes read as text', () => {
    const message = '\x1b]0;pwned\x07\x1b[2J\x1b[H\x1b[3;1H\x1b[?1049h\x1b[?25l text';
    assert.equal(isPlain(message), false);
    assert.deepEqual(runs(message), [{ text: '␛]0;pwned␇␛[2J␛[H␛[3;1H␛[?1049h␛[?25l text' }]);
  });

  test('an OSC 8 hyperlink is text, not a link', () => {
    assert.deepEqual(runs('\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\'), [{ text: '␛]8;;http://evil␛\\link␛]8;;␛\\' }]);
  });

  test('an SGR with colons or a private marker is not the plain form, and is shown', () => {
    assert.deepEqual(runs('\x1b[38:5:196mx\x1b[>4;2my'), [{ text: '␛[38:5:196mx␛[>4;2my' }]);
  });

  test('C0 controls as control pictures, DEL as ␡, an ESC alone as ␛', () => {
    assert.deepEqual(runs('a\rb\x07c\bd\x00e\x7ff\x0bg\x0ch\x1b'), [{ text: 'a␍b␇c␈d␀e␡f␋g␌h␛' }]);
  });

  test('C1 controls as ␛ and their 7-bit equivalent: an 8-bit CSI is not kept', () => {
    assert.deepEqual(runs('\x9b2J\x9b31mnot red\x85\x9d0;t\x9c'), [{ text: '␛[2J␛[31mnot red␛E␛]0;t␛\\' }]);
  });

  test('a line feed, or CR LF, is ⏎: a row is one line', () => {
    assert.deepEqual(runs('one\ntwo\r\nthree\tfour'), [{ text: 'one⏎two⏎three\tfour' }]);
  });

  test('styles go on across the sequences shown, and the search text is what is shown', () => {
    const message = '\x1b[31mred \x1b]0;t\x07still red\x1b[0m done';
    assert.deepEqual(runs(message), [{ text: 'red ␛]0;t␇still red', color: 'var(--ansi-1)' }, { text: ' done' }]);
    assert.equal(plainText(message), 'red ␛]0;t␇still red done');
  });

  test('no control character is ever left in the text, whatever the message', () => {
    const alphabet = '\x1b\x1b\x1b[[]];;0123m mJH?h\x07\x08\r\n\t\\P_^(7c\x9b\x9c\x9d\x85\x7f\x00é';
    let seed = 42;
    const random = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
    for (let round = 0; round < 20_000; round++) {
      let message = '';
      for (let k = random(24); k > 0; k--) message += alphabet[random(alphabet.length)];
      for (const run of parse(message)) {
        assert.equal(/[\x00-\x08\x0a-\x1f\x7f-\x9f]/.test(run.text), false, JSON.stringify(message));
      }
    }
  });
});
