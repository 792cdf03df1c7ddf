import { describe, expect, it } from "vitest";
import { background } from "../../instruments/background";
import { batteryFor, defaultBatteries, parseBatteries, type Battery, type Season } from "../../instruments/batteries";
import { getInstrument, instrumentIds, instruments } from "../../instruments/index";
import { peerConcern } from "../../instruments/peer-concern";
import { psc17Teacher } from "../../instruments/psc17-teacher";
import { Instrument, type Band, type Item } from "../../instruments/schema";
import { srssIe } from "../../instruments/srss-ie";
import { teacherChecklist } from "../../instruments/teacher-checklist";
import { wellbeingFactors } from "../../instruments/wellbeing-factors";

const itemOf = (inst: Instrument, id: string): Item => {
  const item = inst.items.find((it) => it.id === id);
  if (!item) throw new Error(`${inst.id} has no item ${id}`);
  return item;
};
const optionValues = (inst: Instrument, id: string) => (itemOf(inst, id).options ?? inst.options ?? []).map((o) => o.value);
const bandOf = (bands: readonly Band[] | undefined, score: number) => bands?.find((b) => b.min <= score && score <= b.max)?.id;
const subscale = (inst: Instrument, id: string) => {
  const sub = inst.subscales.find((s) => s.id === id);
  if (!sub) throw new Error(`${inst.id} has no subscale ${id}`);
  return sub;
};

describe("the instrument registry", () => {
  it("holds every shipped instrument under its own id, and each passes the schema again", () => {
    expect([...instruments.keys()]).toEqual([...instrumentIds]);
    for (const [id, inst] of instruments) {
      expect(inst.id).toBe(id);
      expect(Instrument.safeParse(inst).success).toBe(true);
    }
  });

  it("returns undefined for an id it does not know", () => {
    expect(getInstrument("sdq")).toBeUndefined();
    expect(getInstrument("psc17-teacher")).toBe(psc17Teacher);
  });
});

describe("PSC-17 teacher report", () => {
  it("has the 17 PSC-17 items in the form's order, rated never / sometimes / often = 0 / 1 / 2", () => {
    expect(psc17Teacher.respondent).toBe("teacher");
    expect(psc17Teacher.direction).toBe("symptom");
    expect(psc17Teacher.items.map((it) => it.id)).toEqual([
      "fidgety", "sad", "daydreams", "refuses-to-share", "others-feelings", "hopeless", "concentrating", "fights",
      "down-on-self", "blames-others", "less-fun", "rules", "motor", "teases", "worries", "takes-things", "distracted",
    ]);
    expect(psc17Teacher.options?.map((o) => [o.value, o.label.en])).toEqual([[0, "Never"], [1, "Sometimes"], [2, "Often"]]);
  });

  it("scores its three subscales by item id, each item in exactly one", () => {
    expect(subscale(psc17Teacher, "internalizing").items).toEqual(["sad", "hopeless", "down-on-self", "less-fun", "worries"]);
    expect(subscale(psc17Teacher, "attention").items).toEqual(["fidgety", "daydreams", "concentrating", "motor", "distracted"]);
    expect(subscale(psc17Teacher, "externalizing").items).toEqual([
      "refuses-to-share", "others-feelings", "fights", "blames-others", "rules", "teases", "takes-things",
    ]);
    const all = psc17Teacher.subscales.flatMap((s) => s.items).sort();
    expect(all).toEqual(psc17Teacher.items.map((it) => it.id).sort());
  });

  it("has no subscale bands, since the Chinese teacher study set only a total cut-off", () => {
    expect(psc17Teacher.subscales.every((s) => s.bands === undefined)).toBe(true);
  });

  it("makes a form with four or more blanks invalid", () => {
    expect(psc17Teacher.scoring).toMatchObject({ method: "sum", missing: { allowed: 3, beyond: "invalid" } });
  });

  it.each([
    [0, "below-cutoff"],
    [16, "below-cutoff"],
    [17, "at-risk"],
    [34, "at-risk"],
  ])("puts a total of %i in band %s (cut-off 17, Liu, Ding et al. 2024)", (total, band) => {
    expect(psc17Teacher.scoring.method === "sum" && bandOf(psc17Teacher.scoring.bands, total)).toBe(band);
  });

  it("says honestly that its Chinese wording is not the validated one", () => {
    expect(psc17Teacher.chinese.status).toBe("not-validated");
    expect(psc17Teacher.items.every((it) => it.note !== undefined)).toBe(true);
  });
});

describe("SRSS-IE", () => {
  it("has the 12 items rated never / occasionally / sometimes / frequently = 0-3, each with the translation note", () => {
    expect(srssIe.respondent).toBe("teacher");
    expect(srssIe.items).toHaveLength(12);
    expect(srssIe.options?.map((o) => [o.value, o.label.en])).toEqual([
      [0, "Never"], [1, "Occasionally"], [2, "Sometimes"], [3, "Frequently"],
    ]);
    for (const item of srssIe.items) {
      expect(item.note).toEqual({ "zh-CN": "中文译本尚未经过验证", en: "translation not yet validated" });
    }
    expect(srssIe.chinese.status).toBe("not-validated");
  });

  it("has E7, I5 for primary and I6 (I5 plus peer rejection) for secondary", () => {
    expect(subscale(srssIe, "e7").items).toEqual([
      "steal", "lie-cheat-sneak", "behavior-problem", "peer-rejection", "low-academic-achievement", "negative-attitude",
      "aggressive-behavior",
    ]);
    expect(subscale(srssIe, "i5")).toMatchObject({
      level: "primary",
      items: ["emotionally-flat", "shy-withdrawn", "sad-depressed", "anxious", "lonely"],
    });
    expect(subscale(srssIe, "i6").level).toBe("secondary");
    expect([...subscale(srssIe, "i6").items].sort()).toEqual(
      ["emotionally-flat", "shy-withdrawn", "sad-depressed", "anxious", "lonely", "peer-rejection"].sort(),
    );
  });

  it("needs every item and has no total bands", () => {
    expect(srssIe.scoring).toMatchObject({ method: "sum", missing: { allowed: 0, beyond: "incomplete" } });
    expect(srssIe.scoring.method === "sum" && srssIe.scoring.bands).toBeUndefined();
  });

  it.each([
    ["e7", 0, "low"], ["e7", 3, "low"], ["e7", 4, "moderate"], ["e7", 8, "moderate"], ["e7", 9, "high"], ["e7", 21, "high"],
    ["i5", 0, "low"], ["i5", 1, "low"], ["i5", 2, "moderate"], ["i5", 3, "moderate"], ["i5", 4, "high"], ["i5", 15, "high"],
    ["i6", 0, "low"], ["i6", 3, "low"], ["i6", 4, "moderate"], ["i6", 5, "moderate"], ["i6", 6, "high"], ["i6", 18, "high"],
  ])("puts %s = %i in band %s", (id, score, band) => {
    expect(bandOf(subscale(srssIe, id).bands, score)).toBe(band);
  });
});

describe("the peer monitor's concern form", () => {
  it("is an unscored peer form of concerns, urgency and an optional note", () => {
    expect(peerConcern).toMatchObject({ respondent: "peer", direction: "none", scoring: { method: "none" } });
    expect(peerConcern.licence.kind).toBe("own");
    expect(peerConcern.items.map((it) => [it.id, it.type, it.optional])).toEqual([
      ["concerns", "multi", false],
      ["urgency", "single", false],
      ["note", "text", true],
    ]);
  });

  it("marks every concern option as a concern and only talk of death or self-harm as critical", () => {
    const concerns = itemOf(peerConcern, "concerns");
    expect(concerns.concern?.anyOf).toEqual(optionValues(peerConcern, "concerns"));
    expect(concerns.critical?.anyOf).toEqual(["self-harm-talk"]);
    expect(peerConcern.items.filter((it) => it.critical).map((it) => it.id)).toEqual(["concerns"]);
  });

  it("asks how soon, from a few days to today", () => {
    expect(optionValues(peerConcern, "urgency")).toEqual(["can-wait", "soon", "today"]);
  });
});

describe("the teacher checklist", () => {
  it("lists the warning signs, all concerns, with only self-harm critical", () => {
    const signs = itemOf(teacherChecklist, "signs");
    expect(optionValues(teacherChecklist, "signs")).toEqual([
      "major-change", "self-harm", "frequent-absence", "conflict", "family-loss-or-crisis",
    ]);
    expect(signs.concern?.anyOf).toEqual(optionValues(teacherChecklist, "signs"));
    expect(signs.critical?.anyOf).toEqual(["self-harm"]);
  });

  it("lists the seven key-student categories in the policy's words plus new students, none of them a concern", () => {
    const key = itemOf(teacherChecklist, "key-population");
    expect(key.options?.map((o) => o.label["zh-CN"])).toEqual([
      "经济困难", "学习困难", "思想、行规和学业上有重大变化", "留守儿童或单亲家庭", "进城务工随迁子女家庭", "突发重大变故家庭", "残疾", "新生",
    ]);
    expect(key.concern).toBeUndefined();
    expect(key.critical).toBeUndefined();
  });

  it("has an optional free-text note and no scoring", () => {
    expect(itemOf(teacherChecklist, "note")).toMatchObject({ type: "text", optional: true, scored: false });
    expect(teacherChecklist).toMatchObject({ respondent: "teacher", scoring: { method: "none" } });
  });
});

describe("the well-being factors", () => {
  it("asks each factor as one single choice with ordered numeric values", () => {
    expect(wellbeingFactors).toMatchObject({ respondent: "student", direction: "none", scoring: { method: "none" } });
    for (const item of wellbeingFactors.items) {
      expect(item.type).toBe("single");
      const values = optionValues(wellbeingFactors, item.id);
      expect(values).toEqual(values.map((_, i) => i));
    }
    expect(optionValues(wellbeingFactors, "exercise")).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it("has one instructed-response item expecting '有时', placed among the factor items", () => {
    const checks = wellbeingFactors.items.filter((it) => it.attention);
    expect(checks.map((it) => it.id)).toEqual(["attention"]);
    const attention = itemOf(wellbeingFactors, "attention");
    const expected = attention.options?.find((o) => o.value === attention.attention?.expected);
    expect(expected?.label["zh-CN"]).toBe("有时");
    expect(attention.text["zh-CN"]).toContain("有时");
    expect(attention.scored).toBe(false);
    const at = wellbeingFactors.items.indexOf(attention);
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(wellbeingFactors.items.length - 1);
  });
});

describe("the background questions", () => {
  it("are short, optional, unscored and each lets the student not say", () => {
    expect(background.items.map((it) => it.id)).toEqual(["lives-with", "boarding", "parents-away"]);
    for (const item of background.items) {
      expect(item).toMatchObject({ optional: true, scored: false });
      expect(optionValues(background, item.id)).toContain("prefer-not-to-say");
    }
  });
});

describe("batteries", () => {
  const seasons: Season[] = ["spring", "autumn"];
  const grades = Array.from({ length: 12 }, (_, i) => i + 1);
  const cells = seasons.flatMap((season) => grades.map((grade) => [grade, season] as const));
  const core = ["phq9", "gad7", "who5", "asq", "wellbeing-factors"];

  it("the default batteries pass their own validation", () => {
    expect(parseBatteries(defaultBatteries)).toEqual({ ok: true, batteries: defaultBatteries });
  });

  it.each(cells)("grade %i in %s maps to exactly one battery with the right instruments", (grade, season) => {
    const covering = defaultBatteries.filter((b) => b.season === season && b.grades.from <= grade && grade <= b.grades.to);
    expect(covering).toHaveLength(1);
    const battery = batteryFor(grade, season);
    expect(battery).toBe(covering[0]);
    const selfReport = grade <= 3 ? [] : season === "autumn" ? [...core, "background"] : core;
    expect(battery?.selfReport).toEqual(selfReport);
    expect(battery?.teacher).toBe(grade <= 6 ? "psc17-teacher" : "srss-ie");
  });

  it("finds no battery for a grade outside 1-12", () => {
    expect(batteryFor(13, "spring")).toBeUndefined();
    expect(batteryFor(0, "autumn")).toBeUndefined();
  });

  const replace = (id: string, patch: Partial<Battery>): Battery[] =>
    defaultBatteries.map((b) => (b.id === id ? { ...b, ...patch } : b));

  it("rejects an unknown instrument id, naming where it is", () => {
    const data = replace("spring-grades-4-6", { selfReport: ["phq9", "sdq"] });
    expect(parseBatteries(data)).toEqual({
      ok: false,
      issues: [{ code: "unknown-instrument", path: [1, "selfReport", 1], message: 'unknown instrument "sdq"' }],
    });
  });

  it("rejects a gap in coverage, naming the season and grade", () => {
    const data = replace("autumn-grades-7-12", { grades: { from: 8, to: 12 } });
    expect(parseBatteries(data)).toEqual({
      ok: false,
      issues: [{ code: "gap", path: ["coverage", "autumn", 7], message: "no battery covers grade 7 in autumn" }],
    });
  });

  it("rejects overlapping batteries, an instrument in the wrong place and shape errors", () => {
    const overlap = parseBatteries(replace("spring-grades-1-3", { grades: { from: 1, to: 4 } }));
    expect(overlap.ok === false && overlap.issues.map((i) => [i.code, i.path])).toEqual([["overlap", ["coverage", "spring", 4]]]);

    const misplaced = parseBatteries(replace("spring-grades-1-3", { selfReport: ["srss-ie"], teacher: "phq9" }));
    expect(misplaced.ok === false && misplaced.issues.map((i) => [i.code, i.path])).toEqual([
      ["wrong-respondent", [0, "selfReport", 0]],
      ["wrong-respondent", [0, "teacher"]],
    ]);

    const shape = parseBatteries([{ id: "x", season: "summer", grades: { from: 5, to: 2 }, selfReport: [], teacher: null }]);
    expect(shape.ok === false && shape.issues.map((i) => [i.code, i.path])).toEqual([
      ["schema", [0, "season"]],
      ["schema", [0, "grades", "to"]],
    ]);
  });
});
