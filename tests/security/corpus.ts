/**
 * The hostile-input corpus (issue 8): what staff could type into any free-text field. The server suite
 * (hostile-input.test.ts) checks each is stored and returned exactly; the Chromium suite
 * (tests/e2e/hostile.test.ts) checks each is shown as text and never run.
 */

/** Strings every text field must keep exactly. */
export const KEPT: Readonly<Record<string, string>> = {
  "script tag": "<script>alert(1)</script>",
  "event-handler attribute": '" onmouseover="alert(1)',
  "javascript: URL": "javascript:alert(1)",
  "SQL fragment": "'; DROP TABLE students; --",
  "RTL override": "\u202Egpj.exe",
  emoji: "😀👨‍👩‍👧🇨🇳",
  "rare CJK (four-byte in GB18030 and UTF-8)": "𠀀𪚥𰻝",
  mixed: "张<b>三</b>\u202E😀𠀀'\"&amp;",
};

/** Strings a field may refuse, with a clear 4xx; what it accepts it must keep exactly. */
export const MAYBE_REFUSED: Readonly<Record<string, string>> = {
  "NUL byte": "a\u0000b",
  "1 MB string": "长".repeat(1024 * 1024),
};
