import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { asq } from "../../instruments/asq";
import { gad7 } from "../../instruments/gad7";
import { instruments } from "../../instruments/index";
import { peerConcern } from "../../instruments/peer-concern";
import { phq9 } from "../../instruments/phq9";
import { teacherChecklist } from "../../instruments/teacher-checklist";
import { who5 } from "../../instruments/who5";
import type { FuseContext, FuseInput, WatchEntry, WaveResult } from "../../scoring/index";
import { compareWatchEntries, defaultPolicy, fuseStudent, rankWatchList, scoreInstrument, summarizeObservation } from "../../scoring/index";
import { anObservation, answers, withTotal } from "./builders";

const ctx: FuseContext = {
  policy: defaultPolicy,
  instruments,
  changeReference: { phq9: { sd: 4.5, reliability: 0.86 }, gad7: { sd: 4, reliability: 0.9 }, who5: { sd: 5, reliability: 0.907 } },
};

function aWave(totals: { phq9?: number; gad7?: number; who5?: number; asq?: [string, string, string, string, string?] } = {}, at = "2026-03-02T09:00:00+08:00", tier?: WaveResult["tier"]): WaveResult {
  return {
    scores: {
      phq9: scoreInstrument(phq9, withTotal(phq9, totals.phq9 ?? 2, 3)),
      gad7: scoreInstrument(gad7, withTotal(gad7, totals.gad7 ?? 2, 3)),
      who5: scoreInstrument(who5, withTotal(who5, totals.who5 ?? 18, 5)),
      asq: scoreInstrument(asq, answers.asq(...(totals.asq ?? ["no", "no", "no", "no"]))),
    },
    validity: { kind: "valid" },
    submittedAt: new Date(at),
    ...(tier && { tier }),
  };
}

function aStudent(over: Partial<FuseInput> = {}): FuseInput {
  return { studentId: "s-001", current: aWave(), previous: null, observations: [], keyPopulation: [], openCase: null, ...over };
}

describe("fuseStudent", () => {
  it("gives a student with no concerns tier none, unlisted", () => {
    expect(fuseStudent(aStudent(), ctx)).toMatchObject({ tier: "none", listed: false, informants: [], disagree: false, movement: "new" });
  });

  it("keeps a student with an open case on the list even when the tier is none", () => {
    const entry = fuseStudent(aStudent({ openCase: { openedAt: new Date("2026-02-20T10:00:00+08:00"), tier: "orange" } }), ctx);
    expect(entry).toMatchObject({ tier: "none", listed: true, openCase: true, since: new Date("2026-02-20T10:00:00+08:00") });
  });

  it("finds a reliable deterioration since the last wave and ranks it in orange", () => {
    const entry = fuseStudent(aStudent({ previous: aWave({ phq9: 3 }, "2025-10-10T09:00:00+08:00", "none"), current: aWave({ phq9: 13 }) }), ctx);
    // RCI = (13 - 3) / (4.5 × √2 × √0.14) = 4.22
    expect(entry.change.phq9!.rci.rci).toBeCloseTo(10 / (4.5 * Math.SQRT2 * Math.sqrt(0.14)), 6);
    expect(entry).toMatchObject({ tier: "orange", deteriorated: ["phq9"], movement: "up" });
    expect(entry.reasons.map((r) => r.rule)).toContain("reliable-deterioration");
  });

  it("reports the WHO-5 ten-point rule next to the reliable change index", () => {
    const entry = fuseStudent(aStudent({ previous: aWave({ who5: 18 }), current: aWave({ who5: 15 }) }), ctx);
    expect(entry.change.who5).toMatchObject({ before: 18, after: 15, percentPoints: { difference: -12, significant: true } });
    expect(entry.change.who5!.rci.direction).toBe("no-reliable-change");
  });

  it("reports no change where no reference SD is known", () => {
    const entry = fuseStudent(aStudent({ previous: aWave({ phq9: 3 }), current: aWave({ phq9: 13 }) }), { ...ctx, changeReference: {} });
    expect(entry.change).toEqual({});
    expect(entry.deteriorated).toEqual([]);
  });

  it("flags informants disagreeing when a peer is worried and the self-report is calm", () => {
    const peer = summarizeObservation(peerConcern, { concerns: ["withdrawn"], urgency: "soon" }, { role: "peer", id: "p-7" }, new Date("2026-03-05T12:00:00+08:00"));
    const entry = fuseStudent(aStudent({ observations: [peer] }), ctx);
    expect(entry).toMatchObject({ tier: "yellow", informants: ["peer"], disagree: true });
  });

  it("flags the reverse disagreement: a severe self-report and a teacher who saw nothing", () => {
    const teacher = summarizeObservation(teacherChecklist, { signs: [], "key-population": [] }, { role: "homeroom", id: "t-1" }, new Date("2026-03-05T12:00:00+08:00"));
    expect(fuseStudent(aStudent({ current: aWave({ phq9: 16 }), observations: [teacher] }), ctx)).toMatchObject({ tier: "orange", informants: ["self"], disagree: true });
  });

  it("does not call agreement a disagreement", () => {
    const teacher = summarizeObservation(teacherChecklist, { signs: ["major-change"] }, { role: "homeroom", id: "t-1" }, new Date("2026-03-05T12:00:00+08:00"));
    const entry = fuseStudent(aStudent({ current: aWave({ phq9: 11 }), observations: [teacher] }), ctx);
    expect(entry).toMatchObject({ tier: "orange", informants: ["self", "homeroom"], disagree: false });
  });

  it("takes key-population categories from the teacher checklist as well as the roster", () => {
    const value = teacherChecklist.items.find((it) => it.id === "key-population")!.options![0]!.value as string;
    const teacher = summarizeObservation(teacherChecklist, { "key-population": [value] }, { role: "homeroom", id: "t-1" }, new Date("2026-03-05T12:00:00+08:00"));
    expect(fuseStudent(aStudent({ keyPopulation: ["new-student"], observations: [teacher] }), ctx).keyPopulation).toEqual([value, "new-student"].sort());
  });

  it("fuses a student with observations only (grades 1-3 have no self-report)", () => {
    const critical = anObservation({ critical: ["signs"], concerns: ["signs"] });
    expect(fuseStudent(aStudent({ current: null, observations: [critical] }), ctx)).toMatchObject({ tier: "red", acute: true, informants: ["homeroom"], disagree: false, since: critical.at });
  });
});

describe("ranking the watch list", () => {
  const entry = (over: Partial<WatchEntry>): WatchEntry => ({
    ...fuseStudent(aStudent(), ctx),
    tier: "orange",
    listed: true,
    ...over,
  });

  it("orders by tier, acute, informants, deterioration, key population, severity, then oldest first", () => {
    const expected = [
      entry({ studentId: "red", tier: "red" }),
      entry({ studentId: "acute", acute: true }),
      entry({ studentId: "two-informants", informants: ["self", "peer"] }),
      entry({ studentId: "deteriorated", deteriorated: ["gad7"] }),
      entry({ studentId: "key-population", keyPopulation: ["left-behind"] }),
      entry({ studentId: "severe", severity: 0.7 }),
      entry({ studentId: "older", severity: 0.2, since: new Date("2026-03-01") }),
      entry({ studentId: "newer", severity: 0.2, since: new Date("2026-03-04") }),
      entry({ studentId: "unknown-since", severity: 0.2, since: null }),
      entry({ studentId: "yellow", tier: "yellow", acute: true }),
    ];
    const shuffled = [...expected].reverse();
    expect(rankWatchList(shuffled).map((e) => e.studentId)).toEqual(expected.map((e) => e.studentId));
  });

  it("leaves unlisted students out and does not change its input", () => {
    const list = [entry({ studentId: "b" }), entry({ studentId: "a", listed: false, tier: "none" })];
    const before = list.map((e) => e.studentId);
    expect(rankWatchList(list).map((e) => e.studentId)).toEqual(["b"]);
    expect(list.map((e) => e.studentId)).toEqual(before);
  });

  it("is a total order: sorting any permutation gives the same list", () => {
    const arb = fc.array(
      fc.record({
        studentId: fc.string({ minLength: 1, maxLength: 4 }),
        tier: fc.constantFrom("none", "yellow", "orange", "red"),
        acute: fc.boolean(),
        informants: fc.subarray(["self", "peer", "homeroom"]),
        deteriorated: fc.subarray(["phq9"]),
        keyPopulation: fc.subarray(["a", "b"]),
        severity: fc.double({ min: 0, max: 1, noNaN: true }),
        since: fc.option(fc.date({ min: new Date("2025-01-01"), max: new Date("2027-01-01"), noInvalidDate: true })),
      }),
      { maxLength: 12 },
    );
    fc.assert(
      fc.property(arb, (rows) => {
        const entries = rows.map((r, i) => entry({ ...r, studentId: `${r.studentId}-${i}` }));
        const once = [...entries].sort(compareWatchEntries).map((e) => e.studentId);
        const again = [...entries].reverse().sort(compareWatchEntries).map((e) => e.studentId);
        return JSON.stringify(once) === JSON.stringify(again);
      }),
    );
  });
});
