import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { asq } from "../../instruments/asq";
import { gad7 } from "../../instruments/gad7";
import { instruments } from "../../instruments/index";
import { phq9 } from "../../instruments/phq9";
import { psc17Teacher } from "../../instruments/psc17-teacher";
import type { Instrument } from "../../instruments/schema";
import { numericOptions } from "../../instruments/schema";
import { srssIe } from "../../instruments/srss-ie";
import { who5 } from "../../instruments/who5";
import { scoreBattery, scoreInstrument } from "../../scoring/index";
import { answers, byOrder, withTotal } from "./builders";

describe("PHQ-9", () => {
  it("scores the README example as moderate with no critical item", () => {
    expect(JSON.stringify(scoreInstrument(phq9, answers.phq9([2, 2, 2, 1, 1, 1, 1, 0, 0])))).toBe(
      '{"kind":"scored","instrument":"phq9","total":10,"band":"moderate","critical":[]}',
    );
  });

  it.each([
    [0, "minimal"],
    [4, "minimal"],
    [5, "mild"],
    [9, "mild"],
    [10, "moderate"],
    [14, "moderate"],
    [15, "moderately-severe"],
    [19, "moderately-severe"],
    [20, "severe"],
    [27, "severe"],
  ])("puts a total of %i in the %s band", (total, band) => {
    const result = scoreInstrument(phq9, withTotal(phq9, total, 3));
    expect(result).toMatchObject({ kind: "scored", total, band });
  });

  it.each([1, 2, 3])("flags item 9 answered %i as critical even when the total is minimal", (q9) => {
    const result = scoreInstrument(phq9, answers.phq9([0, 0, 0, 0, 0, 0, 0, 0, q9]));
    expect(result).toMatchObject({ kind: "scored", band: "minimal", critical: ["q9"] });
  });

  it("does not flag item 9 answered 0", () => {
    expect(scoreInstrument(phq9, answers.phq9([3, 3, 3, 3, 3, 3, 3, 3, 0]))).toMatchObject({ critical: [] });
  });

  it("reports missing items as incomplete and keeps a critical answer", () => {
    const result = scoreInstrument(phq9, { q1: 1, q2: 1, q9: 2 });
    expect(result).toEqual({ kind: "incomplete", instrument: "phq9", missing: ["q3", "q4", "q5", "q6", "q7", "q8"], critical: ["q9"] });
  });

  it("does not require or score the optional difficulty question", () => {
    const withDifficulty = scoreInstrument(phq9, { ...answers.phq9([1, 1, 1, 1, 1, 1, 1, 1, 1]), q10: 3 });
    expect(withDifficulty).toMatchObject({ kind: "scored", total: 9 });
  });

  it.each([
    [{ q1: 4 }, "out-of-range", "q1"],
    [{ q1: -1 }, "out-of-range", "q1"],
    [{ q1: "2" }, "out-of-range", "q1"],
    [{ q1: [1] }, "wrong-type", "q1"],
    [{ q11: 1 }, "unknown-item", "q11"],
  ])("returns invalid for %j naming the item", (bad, code, item) => {
    const result = scoreInstrument(phq9, { ...answers.phq9([1, 1, 1, 1, 1, 1, 1, 1, 1]), ...bad });
    expect(result.kind).toBe("invalid");
    expect(result.kind === "invalid" && result.problems).toEqual([expect.objectContaining({ code, item })]);
  });
});

describe("GAD-7", () => {
  it.each([
    [0, "minimal"],
    [4, "minimal"],
    [5, "mild"],
    [9, "mild"],
    [10, "moderate"],
    [14, "moderate"],
    [15, "severe"],
    [21, "severe"],
  ])("puts a total of %i in the %s band", (total, band) => {
    expect(scoreInstrument(gad7, withTotal(gad7, total, 3))).toMatchObject({ kind: "scored", total, band });
  });
});

describe("WHO-5", () => {
  it.each([
    [0, 0, "likely-depression"],
    [7, 28, "likely-depression"],
    [8, 32, "poor"],
    [12, 48, "poor"],
    [13, 52, "adequate"],
    [25, 100, "adequate"],
  ])("scores raw %i as %i percent in the band %s", (total, percent, band) => {
    expect(scoreInstrument(who5, withTotal(who5, total, 5))).toMatchObject({ kind: "scored", total, percent, band });
  });

  it("flags any single item answered 0 or 1 even with a good total", () => {
    expect(scoreInstrument(who5, answers.who5([5, 5, 5, 5, 1]))).toMatchObject({ total: 21, band: "adequate", flags: ["item-low"] });
    expect(scoreInstrument(who5, answers.who5([5, 5, 5, 5, 2]))).toMatchObject({ flags: [] });
  });
});

describe("ASQ", () => {
  it.each([
    [answers.asq("no", "no", "no", "no"), "negative", [], undefined],
    [answers.asq("yes", "no", "no", "no", "no"), "non-acute-positive", ["q1"], undefined],
    [answers.asq("no", "refused", "no", "no", "no"), "non-acute-positive", ["q2"], undefined],
    [answers.asq("no", "no", "no", "yes", "no"), "non-acute-positive", ["q4"], undefined],
    [answers.asq("no", "no", "yes", "no", "yes"), "acute-positive", ["q3", "q5"], undefined],
    [answers.asq("no", "no", "no", "no", "yes"), "acute-positive", ["q5"], ["inconsistent"]],
    [answers.asq("yes", "no", "no", "no", "refused"), "acute-positive", ["q1", "q5"], ["acuity-refused"]],
  ])("scores %j as %s", (given, band, critical, notes) => {
    const result = scoreInstrument(asq, given);
    expect(result).toMatchObject({ kind: "scored", band, critical });
    expect(result.kind === "scored" ? result.notes : "not scored").toEqual(notes);
  });

  it("counts a refusal of questions 1-4 as a positive answer", () => {
    expect(scoreInstrument(asq, answers.asq("refused", "refused", "refused", "refused", "no"))).toMatchObject({ band: "non-acute-positive", total: 4 });
  });

  it("needs question 5 after a positive screen, and keeps the critical answers while it is missing", () => {
    expect(scoreInstrument(asq, answers.asq("yes", "no", "no", "no"))).toEqual({ kind: "incomplete", instrument: "asq", missing: ["q5"], critical: ["q1"] });
  });

  it("does not need question 5 after four no answers", () => {
    expect(scoreInstrument(asq, answers.asq("no", "no", "no", "no"))).toMatchObject({ kind: "scored", band: "negative" });
  });

  it("rejects a value that is not yes, no or refused", () => {
    expect(scoreInstrument(asq, { ...answers.asq("no", "no", "no", "no"), q2: "maybe" })).toMatchObject({ kind: "invalid", problems: [{ code: "out-of-range", item: "q2" }] });
  });
});

describe("PSC-17 teacher report", () => {
  const all = (v: number) => Object.fromEntries(psc17Teacher.items.filter((it) => it.scored).map((it) => [it.id, v]));

  it.each([
    [16, "below-cutoff"],
    [17, "at-risk"],
  ])("puts a total of %i in %s (cut-off 17)", (total, band) => {
    expect(scoreInstrument(psc17Teacher, withTotal(psc17Teacher, total, 2))).toMatchObject({ kind: "scored", total, band });
  });

  it("scores a form with three blanks and lists them", () => {
    const given = { ...all(1) };
    const [a, b, c] = Object.keys(given);
    for (const id of [a, b, c]) given[id!] = null as unknown as number;
    expect(scoreInstrument(psc17Teacher, given)).toMatchObject({ kind: "scored", total: 14, missing: [a, b, c] });
  });

  it("calls a form with four blanks invalid", () => {
    const given: Record<string, number | null> = { ...all(1) };
    for (const id of Object.keys(given).slice(0, 4)) given[id] = null;
    expect(scoreInstrument(psc17Teacher, given)).toMatchObject({ kind: "invalid", problems: [{ code: "too-many-missing" }] });
  });

  it("scores its subscales by item id", () => {
    const result = scoreInstrument(psc17Teacher, all(2));
    expect(result.kind === "scored" && result.subscales).toBeTruthy();
    for (const sub of psc17Teacher.subscales) {
      expect(result.kind === "scored" && result.subscales?.[sub.id]?.total).toBe(sub.items.length * 2);
    }
  });
});

describe("SRSS-IE", () => {
  const e7 = srssIe.subscales.find((s) => s.id === "e7")!;
  const i5 = srssIe.subscales.find((s) => s.id === "i5")!;
  const i6 = srssIe.subscales.find((s) => s.id === "i6")!;
  const rate = (ids: readonly string[], total: number) => {
    const given: Record<string, number> = Object.fromEntries(srssIe.items.map((it) => [it.id, 0]));
    let left = total;
    for (const id of ids) {
      given[id] = Math.min(3, left);
      left -= given[id];
    }
    return given;
  };

  it.each([
    [3, "low"],
    [4, "moderate"],
    [8, "moderate"],
    [9, "high"],
  ])("puts an externalizing (E7) score of %i in %s", (total, band) => {
    const result = scoreInstrument(srssIe, rate(e7.items, total), { level: "secondary" });
    expect(result.kind === "scored" && result.subscales?.e7).toEqual({ total, band });
  });

  it.each([
    [1, "low"],
    [2, "moderate"],
    [3, "moderate"],
    [4, "high"],
  ])("puts a primary internalizing (I5) score of %i in %s", (total, band) => {
    const only = i5.items.filter((id) => !e7.items.includes(id));
    const result = scoreInstrument(srssIe, rate(only, total), { level: "primary" });
    expect(result.kind === "scored" && result.subscales?.i5).toEqual({ total, band });
    expect(result.kind === "scored" && result.subscales?.i6).toBeUndefined();
  });

  it.each([
    [3, "low"],
    [4, "moderate"],
    [5, "moderate"],
    [6, "high"],
  ])("puts a secondary internalizing (I6) score of %i in %s", (total, band) => {
    const only = i6.items.filter((id) => !e7.items.includes(id));
    const result = scoreInstrument(srssIe, rate(only, total), { level: "secondary" });
    expect(result.kind === "scored" && result.subscales?.i6).toEqual({ total, band });
    expect(result.kind === "scored" && result.subscales?.i5).toBeUndefined();
  });
});

describe("scoreBattery", () => {
  it("scores each scored instrument and leaves unscored forms out", () => {
    const forms = [...instruments.values()].filter((i) => i.respondent === "student");
    const result = scoreBattery(forms, { phq9: answers.phq9([0, 0, 0, 0, 0, 0, 0, 0, 0]) });
    expect(Object.keys(result).sort()).toEqual(forms.filter((f) => f.scoring.method !== "none").map((f) => f.id).sort());
    expect(result.phq9).toMatchObject({ kind: "scored", total: 0 });
    expect(result.gad7).toMatchObject({ kind: "incomplete" });
  });
});

describe("properties of every scored instrument", () => {
  const scoredInstruments = [...instruments.values()].filter((i) => i.scoring.method === "sum");
  const range = (inst: Instrument) =>
    inst.items.filter((it) => it.scored).reduce((r, it) => ({ min: r.min + Math.min(...numericOptions(inst, it)), max: r.max + Math.max(...numericOptions(inst, it)) }), { min: 0, max: 0 });

  it.each(scoredInstruments.map((i) => [i.id, i] as const))("%s: any complete set of option values scores within range", (_id, inst) => {
    const items = inst.items.filter((it) => it.scored);
    const arb = fc.tuple(...items.map((it) => fc.constantFrom(...numericOptions(inst, it))));
    const { min, max } = range(inst);
    fc.assert(
      fc.property(arb, (values) => {
        const result = scoreInstrument(inst, byOrder(inst, values), { level: "secondary" });
        return result.kind === "scored" && result.total >= min && result.total <= max && (inst.scoring.method !== "sum" || !inst.scoring.bands || result.band !== undefined);
      }),
    );
  });

  it.each([...instruments.values()].map((i) => [i.id, i] as const))("%s: never throws, and any value outside the options is invalid", (_id, inst) => {
    const anyValue = fc.oneof(fc.integer({ min: -5, max: 10 }), fc.string({ maxLength: 4 }), fc.constant(null), fc.array(fc.integer({ min: -1, max: 5 }), { maxLength: 3 }));
    const ids = inst.items.map((it) => it.id);
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...ids, "zz", "__proto__"), anyValue), (given) => {
        const result = scoreInstrument(inst, given);
        const bad = inst.items.some((it) => {
          const v = given[it.id];
          if (v === null || v === undefined || v === "" || (Array.isArray(v) && v.length === 0)) return false;
          const allowed = (it.options ?? inst.options ?? []).map((o) => o.value);
          if (it.type === "single") return !allowed.includes(v as never);
          if (it.type === "multi") return !Array.isArray(v) || v.some((x) => !allowed.includes(x as never)) || new Set(v).size !== v.length;
          if (it.type === "text") return typeof v !== "string";
          return typeof v !== "number" || v < (it.min ?? -Infinity) || v > (it.max ?? Infinity);
        });
        const unknown = Object.keys(given).some((k) => !ids.includes(k));
        return (bad || unknown) === (result.kind === "invalid" && result.problems.some((p) => p.code !== "too-many-missing"));
      }),
    );
  });

  it("returns invalid, not an exception, for answers that are not an object", () => {
    expect(scoreInstrument(phq9, null as never)).toMatchObject({ kind: "invalid", problems: [{ code: "wrong-type" }] });
    expect(scoreInstrument(phq9, [1, 2] as never)).toMatchObject({ kind: "invalid" });
  });
});
