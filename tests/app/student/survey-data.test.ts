import fc from "fast-check";
import { Model } from "survey-core";
import { describe, expect, it } from "vitest";
import { defaultBatteries } from "../../../instruments/batteries";
import type { Instrument, Item } from "../../../instruments/schema";
import { answersToSurveyData, batteryInstruments, batterySurvey, surveyAnswers } from "../../../src/app/student/survey-data";
import type { AnswerValue } from "../../../src/app/student/answers";

const secondary = defaultBatteries.find((b) => b.id === "autumn-grades-7-12")!;
const loaded = batteryInstruments(secondary.selfReport);
if (!loaded.ok) throw new Error("default battery has unknown instruments");
const instruments = loaded.instruments;

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

/** Answers of every item, ignoring conditions (the converter reads them all the same). */
const batteryAnswers = fc.tuple(...instruments.map((inst) => fc.tuple(...inst.items.map((item) => itemArb(inst, item))))).map((perInst) =>
  Object.fromEntries(instruments.map((inst, i) => [inst.id, Object.fromEntries(inst.items.map((item, j) => [item.id, perInst[i]![j]!]))])),
);

describe("answersToSurveyData", () => {
  it("is read back by the converter as the same answers (resume on another PC loses nothing; property)", () => {
    fc.assert(
      fc.property(batteryAnswers, (answers) => {
        expect(surveyAnswers(instruments, answersToSurveyData(instruments, answers))).toEqual(answers);
      }),
      { numRuns: 200 },
    );
  });

  it("restores into a real survey-core model on the saved page", () => {
    const answers = { phq9: { q1: 2, q9: 1 }, gad7: { q3: 0 } };
    const model = new Model(batterySurvey(instruments));
    model.data = answersToSurveyData(instruments, answers);
    model.currentPageNo = 1;
    expect(model.currentPage.name).toBe("gad7");
    const back = surveyAnswers(instruments, model.data);
    expect(back["phq9"]).toMatchObject({ q1: 2, q9: 1, q2: null });
    expect(back["gad7"]).toMatchObject({ q3: 0, q1: null });
  });

  it("leaves out answers of instruments the battery does not have", () => {
    expect(answersToSurveyData(instruments, { "psc17-teacher": { q1: 1 } })).toEqual({});
  });
});

describe("batterySurvey", () => {
  it("makes one page per instrument, progress bar, and nothing that would follow the student to the next one", () => {
    const json = batterySurvey(instruments) as unknown as Record<string, unknown>;
    expect((json["pages"] as { name: string }[]).map((p) => p.name)).toEqual(instruments.map((i) => i.id.replace(/-/g, "_")));
    expect(json["showProgressBar"]).toBe(true);
    expect(json).not.toHaveProperty("cookieName");
    expect(json).not.toHaveProperty("completedHtml");
    expect(json).not.toHaveProperty("autoAdvanceEnabled");
  });
});

describe("batteryInstruments", () => {
  it("names the ids it does not know instead of throwing", () => {
    expect(batteryInstruments(["phq9", "nope", "bdi"])).toEqual({ ok: false, unknown: ["nope", "bdi"] });
  });
});
