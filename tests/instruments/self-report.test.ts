import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { asq } from "../../instruments/asq";
import { gad7 } from "../../instruments/gad7";
import { phq9 } from "../../instruments/phq9";
import {
  defineInstrument,
  InstrumentError,
  type Instrument,
  type Item,
  type OptionValue,
} from "../../instruments/schema";
import { who5 } from "../../instruments/who5";

type Expected = {
  inst: Instrument;
  id: string;
  direction: Instrument["direction"];
  itemIds: string[];
  /** Option values of every single-choice item that does not carry its own options. */
  optionValues: OptionValue[];
  /** [band id, min, max]; empty for ASQ (bands without ranges). */
  bands: [string, number, number][];
  /** item id → critical answers; items absent here must have no critical answers. */
  critical: Record<string, OptionValue[]>;
};

const table: Expected[] = [
  {
    inst: phq9,
    id: "phq9",
    direction: "symptom",
    itemIds: ["q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "q10"],
    optionValues: [0, 1, 2, 3],
    bands: [
      ["minimal", 0, 4],
      ["mild", 5, 9],
      ["moderate", 10, 14],
      ["moderately-severe", 15, 19],
      ["severe", 20, 27],
    ],
    critical: { q9: [1, 2, 3] },
  },
  {
    inst: gad7,
    id: "gad7",
    direction: "symptom",
    itemIds: ["q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8"],
    optionValues: [0, 1, 2, 3],
    bands: [
      ["minimal", 0, 4],
      ["mild", 5, 9],
      ["moderate", 10, 14],
      ["severe", 15, 21],
    ],
    critical: {},
  },
  {
    inst: who5,
    id: "who5",
    direction: "wellbeing",
    itemIds: ["q1", "q2", "q3", "q4", "q5"],
    // Official order as printed on the form: all of the time (5) first.
    optionValues: [5, 4, 3, 2, 1, 0],
    bands: [
      ["likely-depression", 0, 7],
      ["poor", 8, 12],
      ["adequate", 13, 25],
    ],
    critical: {},
  },
  {
    inst: asq,
    id: "asq",
    direction: "symptom",
    itemIds: ["q1", "q2", "q3", "q4", "q4-detail", "q5"],
    optionValues: ["yes", "no", "refused"],
    bands: [],
    critical: {
      q1: ["yes", "refused"],
      q2: ["yes", "refused"],
      q3: ["yes", "refused"],
      q4: ["yes", "refused"],
      q5: ["yes", "refused"],
    },
  },
];

const effectiveOptions = (inst: Instrument, item: Item) => (item.options ?? inst.options ?? []).map((o) => o.value);
const sumBands = (inst: Instrument) => (inst.scoring.method === "sum" ? (inst.scoring.bands ?? []) : []);

describe.each(table)("instrument $id", ({ inst, id, direction, itemIds, optionValues, bands, critical }) => {
  it("loads through defineInstrument with its id, a student respondent and its direction", () => {
    expect(inst.id).toBe(id);
    expect(inst.respondent).toBe("student");
    expect(inst.direction).toBe(direction);
    expect(() => defineInstrument(structuredClone(inst))).not.toThrow();
  });

  it("has exactly the item ids of the issue, in order", () => {
    expect(inst.items.map((item) => item.id)).toEqual(itemIds);
  });

  it("offers exactly the issue's option values on every choice item without its own options", () => {
    const shared = inst.items.filter((item) => item.type === "single" && !item.options);
    expect(shared.length).toBeGreaterThan(0);
    for (const item of shared) expect(effectiveOptions(inst, item)).toEqual(optionValues);
  });

  it("marks the critical answers of the issue and no others", () => {
    const marked = Object.fromEntries(inst.items.filter((item) => item.critical).map((item) => [item.id, item.critical?.anyOf]));
    expect(marked).toEqual(critical);
  });

  it("has zh-CN and en text on every item and option", () => {
    for (const item of inst.items) {
      expect(item.text["zh-CN"].length).toBeGreaterThan(0);
      expect(item.text.en.length).toBeGreaterThan(0);
      for (const option of item.options ?? inst.options ?? []) {
        expect(option.label["zh-CN"].length).toBeGreaterThan(0);
        expect(option.label.en.length).toBeGreaterThan(0);
      }
    }
  });

  it("names its licence, source and the status of its Chinese text", () => {
    expect(inst.licence.terms.length).toBeGreaterThan(0);
    expect(inst.licence.attribution?.length).toBeGreaterThan(0);
    expect(inst.source.citation.length).toBeGreaterThan(0);
    expect(inst.chinese.source?.citation.length).toBeGreaterThan(0);
  });

  if (bands.length > 0) {
    it("has the band ids and boundaries of the issue", () => {
      expect(sumBands(inst).map((b) => [b.id, b.min, b.max])).toEqual(bands);
    });

    const scored = inst.items.filter((item) => item.scored);
    const maxTotal = scored.reduce((sum, item) => sum + Math.max(...(effectiveOptions(inst, item) as number[])), 0);
    const bandOf = (total: number) => sumBands(inst).filter((b) => total >= b.min && total <= b.max).map((b) => b.id);

    const boundaries = bands.slice(1).map(([above, first], i) => ({ below: bands[i]?.[0], last: first - 1, above, first }));
    it.each(boundaries)("puts a total of $last in $below and $first in $above", ({ below, last, above, first }) => {
      expect(bandOf(last)).toEqual([below]);
      expect(bandOf(first)).toEqual([above]);
    });

    it("covers every possible total from 0 to the maximum with exactly one band", () => {
      expect(bands[0]?.[1]).toBe(0);
      expect(bands[bands.length - 1]?.[2]).toBe(maxTotal);
      fc.assert(fc.property(fc.integer({ min: 0, max: maxTotal }), (total) => bandOf(total).length === 1));
    });
  }
});

describe("PHQ-9", () => {
  it("sums items q1-q9 and leaves the difficulty question q10 out, optional, with its own 0-3 options", () => {
    expect(phq9.items.filter((item) => item.scored).map((item) => item.id)).toEqual(["q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9"]);
    const q10 = phq9.items.find((item) => item.id === "q10");
    expect(q10).toMatchObject({ type: "single", scored: false, optional: true });
    expect(q10?.options?.map((o) => o.value)).toEqual([0, 1, 2, 3]);
  });

  it("treats any blank required item as incomplete and gives the official stem", () => {
    expect(phq9.scoring).toMatchObject({ method: "sum", missing: { allowed: 0, beyond: "incomplete" } });
    expect(phq9.instructions?.en).toBe("Over the last 2 weeks, how often have you been bothered by any of the following problems?");
    expect(phq9.instructions?.["zh-CN"]).toBe("在过去两个星期，有多少时候您受到以下任何问题所困扰？");
  });

  it("carries alpha .86 from Wang et al. 2014 and the phqscreeners credit line", () => {
    expect(phq9.reliability?.alpha).toBe(0.86);
    expect(phq9.reliability?.source.citation).toContain("10.1016/j.genhosppsych.2014.05.021");
    expect(phq9.licence.attribution).toContain("educational grant from Pfizer Inc.");
  });
});

describe("GAD-7", () => {
  it("sums items q1-q7 and leaves the difficulty question q8 out, optional, with its own 0-3 options", () => {
    expect(gad7.items.filter((item) => item.scored).map((item) => item.id)).toEqual(["q1", "q2", "q3", "q4", "q5", "q6", "q7"]);
    const q8 = gad7.items.find((item) => item.id === "q8");
    expect(q8).toMatchObject({ type: "single", scored: false, optional: true });
    expect(q8?.options?.map((o) => o.value)).toEqual([0, 1, 2, 3]);
  });

  it("carries no reliability, because the Sun et al. 2021 alpha could not be read", () => {
    expect(gad7.reliability).toBeUndefined();
  });
});

describe("WHO-5", () => {
  it("reports percent as raw × 4, needs every item and flags any item of 0 or 1", () => {
    expect(who5.scoring).toMatchObject({
      method: "sum",
      percentFactor: 4,
      missing: { allowed: 0, beyond: "incomplete" },
      flags: [{ id: "item-low", anyItemIn: [0, 1] }],
    });
  });

  it("places the 28 % line at raw 7: raw 7 (28 %) is likely depression and raw 8 (32 %) is not", () => {
    const band = (raw: number) => sumBands(who5).find((b) => raw >= b.min && raw <= b.max)?.id;
    expect(band(7)).toBe("likely-depression");
    expect(band(8)).toBe("poor");
  });

  it("carries alpha .907 from the senior-middle-school validation (Wang & Bian 2011)", () => {
    expect(who5.reliability?.alpha).toBe(0.907);
    expect(who5.reliability?.source.citation).toContain("10.3969/j.issn.1000-6729.2011.04.010");
  });
});

describe("ASQ", () => {
  it("scores no item as a sum and screens with q1-q4 and acuity q5", () => {
    expect(asq.items.every((item) => !item.scored)).toBe(true);
    expect(asq.scoring).toMatchObject({ method: "asq", screen: ["q1", "q2", "q3", "q4"], acuity: "q5" });
    if (asq.scoring.method !== "asq") throw new Error("ASQ scoring method changed");
    expect(asq.scoring.bands.map((b) => b.id)).toEqual(["negative", "non-acute-positive", "acute-positive"]);
  });

  it("asks how and when as optional free text only after a yes to q4", () => {
    expect(asq.items.find((item) => item.id === "q4-detail")).toMatchObject({
      type: "text",
      scored: false,
      optional: true,
      showIf: { items: ["q4"], anyIn: ["yes"] },
    });
  });

  it("asks q5 after a yes or a refusal on any of q1-q4", () => {
    expect(asq.items.find((item) => item.id === "q5")?.showIf).toEqual({ items: ["q1", "q2", "q3", "q4"], anyIn: ["yes", "refused"] });
  });

  it("credits NIMH as public domain and marks its Chinese working translation on every item", () => {
    expect(asq.licence).toMatchObject({
      kind: "public-domain",
      attribution: "Ask Suicide-Screening Questions (ASQ), National Institute of Mental Health",
    });
    expect(asq.chinese.status).toBe("not-validated");
    expect(asq.items.every((item) => item.note)).toBe(true);
  });
});

type Mutation = [string, Instrument, (copy: Instrument) => void, string];

const setBand = (copy: Instrument, index: number, patch: Partial<{ min: number; max: number }>) => {
  if (copy.scoring.method !== "sum" || !copy.scoring.bands?.[index]) throw new Error("no such band");
  Object.assign(copy.scoring.bands[index], patch);
};
const item = (copy: Instrument, index: number): Item => {
  const found = copy.items[index];
  if (!found) throw new Error(`no item ${index}`);
  return found;
};

const mutations: Mutation[] = [
  ["a PHQ-9 band gap (mild starting at 6)", phq9, (c) => setBand(c, 1, { min: 6 }), "scoring.bands.1.min"],
  ["a PHQ-9 critical value that is not an option (4 on q9)", phq9, (c) => (item(c, 8).critical = { anyOf: [4] }), "items.8.critical.anyOf.0"],
  ["a duplicate PHQ-9 item id", phq9, (c) => (item(c, 1).id = "q1"), "items.1.id"],
  ["a GAD-7 top band that stops below 21", gad7, (c) => setBand(c, 3, { max: 20 }), "scoring.bands.3.max"],
  ["overlapping WHO-5 bands (poor starting at 7)", who5, (c) => setBand(c, 1, { min: 7 }), "scoring.bands.1.min"],
  ["an ASQ critical value that is not an option", asq, (c) => (item(c, 0).critical = { anyOf: ["maybe"] }), "items.0.critical.anyOf.0"],
  ["an ASQ follow-up shown after a later item", asq, (c) => (item(c, 4).showIf = { items: ["q5"], anyIn: ["yes"] }), "items.4.showIf.items.0"],
  ["a scored ASQ free-text item", asq, (c) => (item(c, 4).scored = true), "items.4.scored"],
];

describe("malformed copies", () => {
  it.each(mutations)("rejects %s with an InstrumentError naming the bad field", (_name, inst, mutate, path) => {
    const copy = structuredClone(inst);
    mutate(copy);
    let error: unknown;
    try {
      defineInstrument(copy);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InstrumentError);
    expect((error as InstrumentError).instrumentId).toBe(inst.id);
    expect((error as InstrumentError).issues.map((issue) => issue.path)).toContain(path);
  });
});
