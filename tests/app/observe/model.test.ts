import { describe, expect, it } from "vitest";
import { getInstrument } from "../../../instruments/index";
import {
  bilingual,
  buildBatchBody,
  buildFileBody,
  criticalChosen,
  dueDay,
  emptyGrid,
  fillRowBlanks,
  gridColumns,
  gridLegend,
  gridSummary,
  isBlank,
  MAX_BATCH,
  MAX_TEXT,
  missingItems,
  moveFrom,
  optionForKey,
  optionLabel,
  orderNotices,
  problemsByStudent,
  rowStatus,
  setAnswer,
  setCell,
  studentLabel,
  toggleOption,
  type GridState,
} from "../../../src/app/observe/model";
import { formView } from "../../../src/server/features/observations/form";
import { MAX_BATCH as SERVER_MAX_BATCH, MAX_OBSERVATION_TEXT, type ObservationInstrument } from "../../../src/shared/observations";

/** The forms exactly as the server sends them (GET /api/observe/forms/:instrument). */
const form = (id: ObservationInstrument) => formView({ ...getInstrument(id)!, id });
const srss = form("srss-ie");
const columns = gridColumns(srss);
const checklist = form("teacher-checklist");
const peer = form("peer-concern");

const students = [
  { id: "s1", name: "张小明", studentNo: "20260001" },
  { id: "s2", name: "李小红", studentNo: "20260002" },
  { id: "s3", name: "王芳", studentNo: "20260003" },
];

/** Every SRSS-IE cell of a student at `value`. */
const rated = (grid: GridState, studentId: string, value: number) => columns.reduce((g, c) => setCell(g, studentId, c.id, value), grid);

describe("the class grid", () => {
  it("has one column per SRSS-IE item, in the form's order", () => {
    expect(columns.map((c) => c.id)).toEqual(getInstrument("srss-ie")!.items.map((i) => i.id));
  });

  it("sets and clears a cell without touching the grid it was given", () => {
    const one = setCell(emptyGrid, "s1", "steal", 2);
    expect(one).toEqual({ s1: { steal: 2 } });
    expect(emptyGrid).toEqual({});
    const two = setCell(one, "s1", "lonely", 0);
    expect(one).toEqual({ s1: { steal: 2 } });
    expect(setCell(setCell(two, "s1", "steal", null), "s1", "lonely", null)).toEqual({});
  });

  it.each([
    ["0", 0],
    ["3", 3],
    ["4", undefined],
    ["a", undefined],
    ["-", undefined],
  ])("reads the key %s as the answer %s", (key, value) => {
    expect(optionForKey(columns[0]!, key)).toBe(value);
  });

  it("labels a value and writes the legend of a grid whose columns share their options", () => {
    expect(optionLabel(columns[0]!, 3)).toBe("经常 · Frequently");
    expect(optionLabel(columns[0]!, undefined)).toBe("");
    expect(gridLegend(columns)).toEqual(["0 = 从不 Never", "1 = 偶尔 Occasionally", "2 = 有时 Sometimes", "3 = 经常 Frequently"]);
    expect(gridLegend([])).toEqual([]);
  });

  it("tells an empty, a partial and a complete row apart, naming the blanks", () => {
    expect(rowStatus(emptyGrid, "s1", columns)).toEqual({ kind: "empty" });
    const partial = setCell(emptyGrid, "s1", "steal", 1);
    expect(rowStatus(partial, "s1", columns)).toEqual({ kind: "partial", missing: columns.slice(1).map((c) => c.id) });
    expect(rowStatus(rated(emptyGrid, "s1", 0), "s1", columns)).toEqual({ kind: "complete" });
  });

  it("fills only a row's blank cells", () => {
    const grid = fillRowBlanks(setCell(emptyGrid, "s1", "anxious", 3), "s1", columns, 0);
    expect(grid.s1!.anxious).toBe(3);
    expect(Object.values(grid.s1!).filter((v) => v === 0)).toHaveLength(columns.length - 1);
    expect(grid.s2).toBeUndefined();
  });

  it("counts the class", () => {
    const grid = setCell(rated(emptyGrid, "s1", 1), "s2", "steal", 0);
    const summary = gridSummary(grid, students, columns);
    expect(summary.complete).toBe(1);
    expect(summary.partial.map((s) => s.id)).toEqual(["s2"]);
    expect(summary.empty.map((s) => s.id)).toEqual(["s3"]);
  });

  it("builds one batch of the complete rows in class order, and names the students left out", () => {
    const grid = rated(rated(emptyGrid, "s3", 2), "s1", 0);
    const built = buildBatchBody("srss-ie", grid, students, columns);
    expect(built.ok).toBe(true);
    if (!built.ok) return;
    expect(built.body.instrument).toBe("srss-ie");
    expect(built.body.items.map((i) => i.studentId)).toEqual(["s1", "s3"]);
    expect(built.body.items[1]!.answers).toEqual(Object.fromEntries(columns.map((c) => [c.id, 2])));
    expect(built.skipped.map((s) => s.id)).toEqual(["s2"]);
  });

  it("refuses a batch with a half-rated student, naming them", () => {
    const grid = setCell(rated(emptyGrid, "s1", 0), "s2", "lonely", 1);
    expect(buildBatchBody("srss-ie", grid, students, columns)).toEqual({ ok: false, reason: "incomplete", students: [students[1]] });
  });

  it("refuses an empty batch", () => {
    expect(buildBatchBody("srss-ie", emptyGrid, students, columns)).toEqual({ ok: false, reason: "nothing-rated" });
  });

  it("refuses more students than the server takes in one batch", () => {
    const many = Array.from({ length: MAX_BATCH + 1 }, (_, i) => ({ id: `s${i}`, name: `学生${i}` }));
    const grid = many.reduce((g, s) => rated(g, s.id, 0), emptyGrid);
    expect(buildBatchBody("srss-ie", grid, many, columns)).toEqual({ ok: false, reason: "too-many", count: MAX_BATCH + 1 });
    expect(buildBatchBody("srss-ie", grid, many.slice(0, MAX_BATCH), columns).ok).toBe(true);
  });

  it("uses the server's limits", () => {
    expect(MAX_BATCH).toBe(SERVER_MAX_BATCH);
    expect(MAX_TEXT).toBe(MAX_OBSERVATION_TEXT);
  });

  it("maps the server's problem paths back to the students and items", () => {
    const body = { instrument: "srss-ie" as const, items: [{ studentId: "s1", answers: {} }, { studentId: "s3", answers: {} }] };
    const problems = problemsByStudent(body, [
      { path: "items.1.answers.steal", message: "out of range" },
      { path: "items.1.answers.lie-cheat-sneak", message: "out of range" },
      { path: "items.0.studentId", message: "no such student" },
      { path: "items.7.answers.steal", message: "no such row" },
      { path: "instrument", message: "unknown" },
      { message: "no path" },
    ]);
    expect(problems).toEqual(
      new Map([
        ["s3", ["steal", "lie-cheat-sneak"]],
        ["s1", []],
      ]),
    );
    expect(problemsByStudent(body, undefined)).toEqual(new Map());
  });

  it.each([
    [{ row: 0, col: 0 }, "ArrowLeft", null],
    [{ row: 0, col: 0 }, "ArrowUp", null],
    [{ row: 0, col: 0 }, "ArrowRight", { row: 0, col: 1 }],
    [{ row: 0, col: 0 }, "ArrowDown", { row: 1, col: 0 }],
    [{ row: 1, col: 11 }, "ArrowRight", null],
    [{ row: 2, col: 5 }, "ArrowDown", null],
    [{ row: 1, col: 5 }, "next", { row: 1, col: 6 }],
    [{ row: 1, col: 11 }, "next", { row: 2, col: 0 }],
    [{ row: 2, col: 11 }, "next", null],
  ] as const)("moves from %o on %s to %o (3 rows × 12 columns)", (at, key, to) => {
    expect(moveFrom(at, key, 3, 12)).toEqual(to);
  });
});

describe("one student's form", () => {
  it("ticks and unticks options in the form's order, dropping an empty answer", () => {
    const signs = checklist.items.find((i) => i.id === "signs")!;
    let a = toggleOption({}, signs, "conflict", true);
    a = toggleOption(a, signs, "major-change", true);
    expect(a.signs).toEqual(["major-change", "conflict"]);
    a = toggleOption(toggleOption(a, signs, "major-change", false), signs, "conflict", false);
    expect(a).toEqual({});
  });

  it("names required items left blank (the peer report needs concerns and urgency)", () => {
    expect(missingItems(peer, {}).map((i) => i.id)).toEqual(["concerns", "urgency"]);
    expect(missingItems(peer, { concerns: ["low-mood"], urgency: "soon" })).toEqual([]);
    expect(missingItems(peer, { concerns: [], urgency: "soon" }).map((i) => i.id)).toEqual(["concerns"]);
    expect(missingItems(checklist, {})).toEqual([]);
  });

  it("calls a checklist with nothing ticked and only blank text blank", () => {
    expect(isBlank(checklist, {})).toBe(true);
    expect(isBlank(checklist, { note: "   " })).toBe(true);
    expect(isBlank(checklist, { note: "上课常走神" })).toBe(false);
    expect(isBlank(checklist, { "key-population": ["new-student"] })).toBe(false);
  });

  it("sees a critical option chosen: self-harm on the checklist, talk of death on the peer report", () => {
    expect(criticalChosen(checklist, { signs: ["conflict"] })).toBe(false);
    expect(criticalChosen(checklist, { signs: ["conflict", "self-harm"] })).toBe(true);
    expect(criticalChosen(peer, { concerns: ["self-harm-talk"], urgency: "today" })).toBe(true);
    expect(criticalChosen(peer, { urgency: "today" })).toBe(false);
  });

  it("builds the body with answered items only, and text verbatim", () => {
    const note = "<b>不是HTML</b> =1+1 \u202e 😀";
    const answers = setAnswer(setAnswer({ signs: ["self-harm"], "key-population": [] }, "note", note), "ignored", "x");
    expect(buildFileBody("s1", checklist, answers)).toEqual({ studentId: "s1", instrument: "teacher-checklist", answers: { signs: ["self-harm"], note } });
    expect(buildFileBody("s2", peer, { concerns: ["withdrawn"], urgency: "soon", note: "" })).toEqual({ studentId: "s2", instrument: "peer-concern", answers: { concerns: ["withdrawn"], urgency: "soon" } });
  });
});

describe("names and notices", () => {
  it("shows a teacher the student number and a peer monitor the name only", () => {
    expect(studentLabel({ id: "s1", name: "张小明", studentNo: "20260001" })).toBe("20260001 张小明");
    expect(studentLabel({ id: "s1", name: "张小明" })).toBe("张小明");
    expect(bilingual({ "zh-CN": "谢谢", en: "Thanks" })).toBe("谢谢 · Thanks");
  });

  it("gives the due day in China's time zone", () => {
    expect(dueDay("2026-03-15T16:30:00Z")).toBe("2026-03-16");
    expect(dueDay("not a date")).toBe("");
  });

  it("puts open notices first by due date, feedback without a due date after them, done ones last", () => {
    const n = (id: string, dueAt: string | null, doneAt: string | null = null) => ({ id, dueAt, doneAt, createdAt: "2026-03-01T00:00:00Z" });
    const ordered = orderNotices([n("done", "2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z"), n("feedback", null), n("late", "2026-03-20T00:00:00Z"), n("soon", "2026-03-05T00:00:00Z")]);
    expect(ordered.map((x) => x.id)).toEqual(["soon", "late", "feedback", "done"]);
  });
});
