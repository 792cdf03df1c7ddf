/**
 * Text that people typed or a roster brought (names, school names, class labels, notes, reasons) shown
 * among the app's own words. Such text may hold Unicode bidi controls: left alone, a U+202E (RIGHT-TO-LEFT
 * OVERRIDE) in a school name runs on past the name and reverses the app's words after it on the line
 * ("的心理健康问卷" would read backwards), so a name could make the page say something else (issue 8).
 *
 * Each piece is therefore its own bidi isolate: `<UserText text={…} />` (ui/UserText.tsx, a `<bdi>`)
 * where it is an element's child, `isolate(text)` (FSI … PDI) where only a string fits: an `<option>`, a
 * message kept as a string. The text is shown as written except for what would break out of the isolate
 * (see confineLine).
 */

const FSI = "\u2068";
const PDI = "\u2069";
/** LRI, RLI, FSI: each opens an isolate that a PDI closes. */
const ISOLATE_OPENERS = new Set(["\u2066", "\u2067", "\u2068"]);
/**
 * U+2029, U+001C-U+001E, U+0085 and CR end the bidi paragraph, and with it the isolate, in Chromium: they are
 * shown as the line feed they stand for. A line feed kept by `white-space: pre-wrap` (notes are shown so)
 * ends a string's FSI … PDI too, and Chromium closes a `<bdi>` before it and opens it again after: so each
 * line is confined, and isolated, on its own.
 */
// eslint-disable-next-line no-control-regex -- these control characters are what it looks for
const LINE_BREAKS = /\r\n?|[\u001c-\u001e\u0085\u2029]/g;

/** The lines of `text`, with every kind of break read as a line feed. */
function linesOf(text: string): string[] {
  return text.replace(LINE_BREAKS, "\n").split("\n");
}

/**
 * One line with nothing that could end the isolate it is put in: a PDI with no opener before it would close
 * the surrounding isolate (and a U+202E after it would reach the app's words), so an FSI is put in front for
 * each; an isolate left open is closed at the end. Everything else, the bidi controls included, is kept:
 * inside the isolate they only reorder the text itself.
 */
function confineLine(line: string): string {
  let open = 0;
  let unopened = 0;
  for (const c of line) {
    if (ISOLATE_OPENERS.has(c)) open++;
    else if (c === PDI) {
      if (open > 0) open--;
      else unopened++;
    }
  }
  return FSI.repeat(unopened) + line + PDI.repeat(open);
}

/** `text` with nothing that can end the isolate it is put in (each line confined on its own), for a `<bdi>`. */
export function confineBidi(text: string): string {
  return linesOf(text).map(confineLine).join("\n");
}

/** `text` as an isolate inside a string (each line between FSI and PDI), for places that take no element. */
export function isolate(text: string): string {
  return linesOf(text)
    .map((line) => FSI + confineLine(line) + PDI)
    .join("\n");
}
