import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { isolate } from "../../src/app/ui/bidi";
import { UserText } from "../../src/app/ui/UserText";

const FSI = "\u2068";
const PDI = "\u2069";
const RLO = "\u202E";
const RLI = "\u2067";

/** The text React puts inside the <bdi> (markup escaping undone for the few characters it escapes). */
function shown(text: string): string {
  const html = renderToStaticMarkup(<UserText text={text} />);
  expect(html.startsWith("<bdi>") && html.endsWith("</bdi>"), html).toBe(true);
  return html
    .slice("<bdi>".length, -"</bdi>".length)
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&quot;", '"')
    .replaceAll("&#x27;", "'")
    .replaceAll("&amp;", "&");
}

describe("UserText (a piece of typed text as its own bidi isolate)", () => {
  it.each([
    ["a name", "张小明"],
    ["an override and its pop", `${RLO}gpj.exe\u202C`],
    ["balanced isolates", `a${RLI}b${PDI}c`],
    ["markup and an entity", "<b>三</b>&amp;'\""],
    ["a note of several lines", "第一行\n第二行"],
  ])("shows %s exactly as written, inside a <bdi>", (_, text) => {
    expect(shown(text)).toBe(text);
  });

  it("keeps markup as text (React escapes it)", () => {
    expect(renderToStaticMarkup(<UserText text="<img src=x onerror=alert(1)>" />)).toBe("<bdi>&lt;img src=x onerror=alert(1)&gt;</bdi>");
  });

  it("opens an isolate in front for each PDI that closes none, so it cannot close the <bdi> and let an override out", () => {
    expect(shown(`${PDI}${RLO}gpj.exe`)).toBe(`${FSI}${PDI}${RLO}gpj.exe`);
    expect(shown(`a${PDI}${PDI}${RLI}b${PDI}${PDI}`)).toBe(`${FSI}${FSI}${FSI}a${PDI}${PDI}${RLI}b${PDI}${PDI}`);
  });

  it("closes the isolates the text leaves open", () => {
    expect(shown(`${RLI}${FSI}${RLO}x`)).toBe(`${RLI}${FSI}${RLO}x${PDI}${PDI}`);
  });

  it("confines each line on its own (Chromium ends and reopens the isolate at a line break)", () => {
    expect(shown(`a${RLI}\n${PDI}${RLO}b`)).toBe(`a${RLI}${PDI}\n${FSI}${PDI}${RLO}b`);
  });

  it.each([
    ["CR LF", "\r\n"],
    ["CR", "\r"],
    ["U+2029 PARAGRAPH SEPARATOR", "\u2029"],
    ["U+0085 NEXT LINE", "\u0085"],
    ["U+001C", "\u001c"],
    ["U+001E", "\u001e"],
  ])("shows a %s (a paragraph break that would end the isolate) as a line feed", (_, brk) => {
    expect(shown(`a${brk}${RLO}b`)).toBe(`a\n${RLO}b`);
  });
});

describe("isolate (the same for a string: an <option>, a message)", () => {
  it("puts the text between FSI and PDI", () => {
    expect(isolate("8年级 实验班")).toBe(`${FSI}8年级 实验班${PDI}`);
    expect(isolate(`${RLO}gpj.exe`)).toBe(`${FSI}${RLO}gpj.exe${PDI}`);
    expect(isolate("")).toBe(`${FSI}${PDI}`);
  });

  it("balances the isolates inside, so its own PDI closes its own FSI", () => {
    expect(isolate(`${PDI}${RLO}x`)).toBe(`${FSI}${FSI}${PDI}${RLO}x${PDI}`);
    expect(isolate(`${RLI}x`)).toBe(`${FSI}${RLI}x${PDI}${PDI}`);
  });

  it("isolates each line on its own and reads every paragraph break as a line feed", () => {
    expect(isolate(`a\r\n${RLO}b\u2029c`)).toBe(`${FSI}a${PDI}\n${FSI}${RLO}b${PDI}\n${FSI}c${PDI}`);
  });
});
