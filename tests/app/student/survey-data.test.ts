import fc from "fast-check";
import { Model } from "survey-core";
import { describe, expect, it } from "vitest";
import { defaultBatteries } from "../../../instruments/batteries";
import { getInstrument, instruments as allInstruments } from "../../../instruments/index";
import type { Instrument, Item } from "../../../instruments/schema";
import { instrumentsToSurvey, surveyDataToInstrumentAnswers } from "../../../instruments/to-survey";
import type { AnswerValue } from "../../../src/app/student/answers";
import { answersToSurveyData, surveyDataToAnswers, type SurveyRef } from "../../../src/app/student/survey-data";
import { surveyRefs } from "../../../src/server/features/responses/survey";

const secondary = defaultBatteries.find((b) => b.id === "autumn-grades-7-12")!;
const battery: Instrument[] = secondary.selfReport.map((id) => getInstrument(id)!);
/**
 * No instrument has a number item yet, so a test-only copy of the peer form gets one (not clinical content:
 * it only exercises the number branch of the reading).
 */
const withNumber: Instrument = {
  ...getInstrument("peer-concern")!,
  id: "test-number",
  items: [...getInstrument("peer-concern")!.items, { id: "count", type: "number", text: { "zh-CN": "测试", en: "test" }, scored: false, reverse: false, optional: true, min: 0, max: 24 }],
};
/** Every instrument of the project, teacher forms included, and the number fixture: the page's reading must hold for all. */
const everything: Instrument[] = [...allInstruments.values(), withNumber];

function itemArb(inst: Instrument, item: Item): fc.Arbitrary<AnswerValue> {
  const values = (item.options ?? inst.options ?? []).map((o) => o.value);
  switch (item.type) {
    case "single":
      return fc.oneof(fc.constant(null), fc.constantFrom(...values));
    case "multi":
      return fc.subarray(values.filter((v): v is string => typeof v === "string")).map((v) => (v.length === 0 ? null : v));
    case "text":
      return fc.oneof(fc.constant(null), fc.string({ minLength: 1, maxLength: 20 }).filter((s) => s.trim() !== ""));
    case "number":
      return fc.oneof(fc.constant(null), fc.integer({ min: item.min ?? 0, max: item.max ?? 0 }));
  }
}

/** Valid answers to every item of `list`, ignoring conditions (the converter reads them all the same). */
const answersOf = (list: readonly Instrument[]) =>
  fc
    .tuple(...list.map((inst) => fc.tuple(...inst.items.map((item) => itemArb(inst, item)))))
    .map((perInst) => Object.fromEntries(list.map((inst, i) => [inst.id, Object.fromEntries(inst.items.map((item, j) => [item.id, perInst[i]![j]!]))])));

/** Anything a SurveyJS value could be, and what a tampered page could put there. */
const junk = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.integer({ min: -5, max: 200 }),
  fc.double(),
  fc.double({ min: -2, max: 30, noNaN: true }),
  fc.string({ maxLength: 6 }),
  fc.constantFrom("0", "1", "3", " 2 ", "2.5", "1e1", "yes", "no", "", "  "),
  fc.array(fc.oneof(fc.string({ maxLength: 4 }), fc.integer({ min: -1, max: 5 }), fc.constantFrom("yes", "no")), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.integer({ min: 0, max: 4 })),
);

/** SurveyJS data over the question names of `refs`: real option values, matrix objects with real and unknown rows, and junk. */
function dataOf(refs: readonly SurveyRef[]): fc.Arbitrary<Record<string, unknown>> {
  const names = [...new Set(refs.map((r) => r.name))];
  const valueFor = (name: string): fc.Arbitrary<unknown> => {
    const mine = refs.filter((r) => r.name === name);
    const options = [...new Set(mine.flatMap((r) => r.values ?? []))];
    const real = options.length > 0 ? fc.oneof(fc.constantFrom(...options), fc.subarray(options)) : junk;
    const rows = mine.flatMap((r) => (r.row === undefined ? [] : [r.row]));
    if (rows.length === 0) return fc.oneof(real, junk);
    const matrix = fc.tuple(...rows.map(() => fc.oneof(real, junk))).map((vals) => Object.fromEntries(rows.flatMap((row, i) => (vals[i] === undefined ? [] : [[row, vals[i]]]))));
    return fc.oneof(matrix, junk);
  };
  return fc.tuple(...names.map(valueFor)).map((vals) => Object.fromEntries(names.flatMap((n, i) => (vals[i] === undefined ? [] : [[n, vals[i]]]))));
}

describe("surveyDataToAnswers (the page's reading of SurveyJS data through the server's ref table)", () => {
  const refs = surveyRefs(everything);

  it("reads any SurveyJS data, tampered or not, exactly as the server's surveyDataToInstrumentAnswers does (property)", () => {
    fc.assert(
      fc.property(dataOf(refs), (data) => {
        expect(surveyDataToAnswers(refs, data)).toEqual(surveyDataToInstrumentAnswers(everything, data));
      }),
      { numRuns: 300 },
    );
  });

  it("gives every item of the battery, null when unanswered", () => {
    const batteryRefs = surveyRefs(battery);
    const answers = surveyDataToAnswers(batteryRefs, {});
    expect(Object.keys(answers)).toEqual(secondary.selfReport);
    for (const inst of battery) expect(answers[inst.id]).toEqual(Object.fromEntries(inst.items.map((i) => [i.id, null])));
  });

  it.each([
    ["a matrix row", { phq9__grid: { q1: 2 } }, "phq9", "q1", 2],
    ["a value that is not an option", { phq9__grid: { q1: 4 } }, "phq9", "q1", null],
    ["a matrix given as a plain value", { phq9__grid: 2 }, "phq9", "q1", null],
  ])("reads %s", (_, data, instrument, item, expected) => {
    expect(surveyDataToAnswers(surveyRefs(battery), data)[instrument]?.[item]).toBe(expected);
  });
});

describe("answersToSurveyData (resume on another PC)", () => {
  it("is read back as the same answers, for every instrument (property)", () => {
    const refs = surveyRefs(everything);
    fc.assert(
      fc.property(answersOf(everything), (answers) => {
        expect(surveyDataToAnswers(refs, answersToSurveyData(refs, answers))).toEqual(answers);
      }),
      { numRuns: 200 },
    );
  });

  it("restores into a real survey-core model on the saved page", () => {
    const refs = surveyRefs(battery);
    const answers = { phq9: { q1: 2, q9: 1 }, gad7: { q3: 0 } };
    const model = new Model(instrumentsToSurvey(battery));
    model.data = answersToSurveyData(refs, answers);
    model.currentPageNo = 1;
    expect(model.currentPage.name).toBe("gad7");
    const back = surveyDataToAnswers(refs, model.data);
    expect(back["phq9"]).toMatchObject({ q1: 2, q9: 1, q2: null });
    expect(back["gad7"]).toMatchObject({ q3: 0, q1: null });
  });

  it("leaves out answers of instruments the battery does not have, and nulls", () => {
    expect(answersToSurveyData(surveyRefs(battery), { "psc17-teacher": { q1: 1 }, phq9: { q1: null } })).toEqual({});
  });
});
