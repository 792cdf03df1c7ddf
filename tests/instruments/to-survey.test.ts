import fc from "fast-check";
import { Model, type Question, type QuestionMatrixModel } from "survey-core";
import { describe, expect, it } from "vitest";
import { defaultBatteries, type Battery } from "../../instruments/batteries";
import { getInstrument, instruments } from "../../instruments/index";
import type { Instrument, Item } from "../../instruments/schema";
import {
  batteryToSurvey,
  instrumentToSurveyPage,
  instrumentsToSurvey,
  questionRefs,
  surveyDataToAnswers,
  type AnswerValue,
  type Answers,
  type SurveyQuestion,
} from "../../instruments/to-survey";

const instrument = (id: string): Instrument => {
  const inst = getInstrument(id);
  if (!inst) throw new Error(`no instrument ${id}`);
  return inst;
};
const battery = (id: string): Battery => {
  const b = defaultBatteries.find((x) => x.id === id);
  if (!b) throw new Error(`no battery ${id}`);
  return b;
};
const choiceValues = (inst: Instrument, item: Item) => (item.options ?? inst.options ?? []).map((o) => o.value);

/** Answers a form the way the UI does: each value set on its question, or on its row of a matrix. */
function answerOnModel(model: Model, inst: Instrument, answers: Readonly<Record<string, AnswerValue>>): void {
  const refs = questionRefs(inst);
  for (const item of inst.items) {
    const value = answers[item.id];
    if (value === null || value === undefined) continue;
    const ref = refs.get(item.id);
    if (!ref) throw new Error(`no question for ${inst.id}.${item.id}`);
    const question = model.getQuestionByName(ref.name);
    if (ref.row === undefined) {
      question.value = value;
    } else {
      const row = (question as QuestionMatrixModel).visibleRows.find((r) => r.name === ref.row);
      if (!row) throw new Error(`no row ${ref.row} in ${ref.name}`);
      row.value = value;
    }
  }
}

function isShown(inst: Instrument, item: Item, answers: Readonly<Record<string, AnswerValue>>): boolean {
  if (!item.showIf) return true;
  const anyIn = item.showIf.anyIn;
  return item.showIf.items.some((id) => {
    const v = answers[id];
    return Array.isArray(v) ? v.some((x) => anyIn.includes(x)) : v !== null && v !== undefined && anyIn.includes(v);
  });
}

/** Random answers of the right shape for one instrument; items hidden by their condition stay null. */
function answersArb(inst: Instrument): fc.Arbitrary<Record<string, AnswerValue>> {
  const perItem = inst.items.map((item): fc.Arbitrary<AnswerValue> => {
    const values = choiceValues(inst, item);
    switch (item.type) {
      case "single":
        return fc.option(fc.constantFrom(...values), { nil: null });
      case "multi":
        return fc.option(fc.subarray(values.filter((v): v is string => typeof v === "string"), { minLength: 1 }), { nil: null });
      case "text":
        return fc.option(fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim() !== ""), { nil: null });
      case "number":
        return fc.option(fc.integer({ min: item.min ?? 0, max: item.max ?? 0 }), { nil: null });
    }
  });
  return fc.tuple(...perItem).map((values) => {
    const answers: Record<string, AnswerValue> = {};
    inst.items.forEach((item, i) => {
      answers[item.id] = isShown(inst, item, answers) ? (values[i] ?? null) : null;
    });
    return answers;
  });
}

describe("instrumentToSurveyPage", () => {
  it.each([...instruments.keys()])("converts %s into one page survey-core loads, with every item reachable", (id) => {
    const inst = instrument(id);
    const page = instrumentToSurveyPage(inst);
    const model = new Model(instrumentsToSurvey([inst]));
    expect(model.pages).toHaveLength(1);
    expect(model.pages[0]?.name).toBe(page.name);
    expect(model.getAllQuestions().map((q) => q.name)).toEqual(page.elements.map((q) => q.name));
    for (const name of page.elements.map((q) => q.name)) expect(name).toMatch(/^[a-z][a-z0-9_]*$/);
    for (const item of inst.items) {
      const ref = questionRefs(inst).get(item.id);
      expect(ref, `${id}.${item.id}`).toBeDefined();
      const question: Question | null = ref ? model.getQuestionByName(ref.name) : null;
      expect(question).not.toBeNull();
      if (ref?.row !== undefined) {
        expect((question as QuestionMatrixModel).rows.map((r) => r.value)).toContain(ref.row);
      }
    }
  });

  it("puts a run of items sharing the instrument's options into one required matrix, rows = items", () => {
    const page = instrumentToSurveyPage(instrument("psc17-teacher"));
    expect(page.elements).toHaveLength(1);
    const grid = page.elements[0] as Extract<SurveyQuestion, { type: "matrix" }>;
    expect(grid).toMatchObject({ type: "matrix", name: "psc17_teacher__grid", isRequired: true, eachRowRequired: true });
    expect(grid.rows.map((r) => r.value)).toEqual(instrument("psc17-teacher").items.map((it) => it.id.replace(/-/g, "_")));
    expect(grid.columns.map((c) => c.value)).toEqual([0, 1, 2]);
    expect(grid.title).toEqual({
      "zh-cn": instrument("psc17-teacher").instructions?.["zh-CN"],
      en: instrument("psc17-teacher").instructions?.en,
    });
  });

  it("shows the SRSS-IE translation note as the description of its question", () => {
    const model = new Model(instrumentsToSurvey([instrument("srss-ie")]));
    const [grid] = model.getAllQuestions();
    expect(grid?.getType()).toBe("matrix");
    expect(grid?.description).toBe("中文译本尚未经过验证");
    model.locale = "en";
    expect(grid?.description).toBe("translation not yet validated");
  });

  it("renders choice, multi, free-text and optional items as radiogroup, checkbox and comment", () => {
    const page = instrumentToSurveyPage(instrument("peer-concern"));
    expect(page.elements.map((q) => [q.name, q.type, q.isRequired ?? false])).toEqual([
      ["peer_concern__concerns", "checkbox", true],
      ["peer_concern__urgency", "radiogroup", true],
      ["peer_concern__note", "comment", false],
    ]);
    expect(page.description?.["zh-cn"]).toBe(instrument("peer-concern").instructions?.["zh-CN"]);
  });

  it("keeps the attention item on the well-being page among the other questions", () => {
    const names = instrumentToSurveyPage(instrument("wellbeing-factors")).elements.map((q) => q.name);
    const at = names.indexOf("wellbeing_factors__attention");
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(names.length - 1);
  });

  it("shows Chinese by default and English when the locale is switched", () => {
    const model = new Model(instrumentsToSurvey([instrument("peer-concern")]));
    const urgency = model.getQuestionByName("peer_concern__urgency");
    expect(model.locale).toBe("zh-cn");
    expect(urgency.title).toBe("你觉得需要多快让老师知道？");
    model.locale = "en";
    expect(urgency.title).toBe("How soon do you think a teacher should know?");
  });

  it("turns a number item into a bounded number input", () => {
    const inst: Instrument = {
      ...instrument("background"),
      items: [{ id: "age", type: "number", text: { "zh-CN": "年龄", en: "Age" }, min: 6, max: 19, scored: false, reverse: false, optional: true }],
    };
    expect(instrumentToSurveyPage(inst).elements).toEqual([
      { type: "text", inputType: "number", name: "background__age", title: { "zh-cn": "年龄", en: "Age" }, min: 6, max: 19 },
    ]);
  });
});

describe("ASQ conditions", () => {
  const asq = instrument("asq");
  if (asq.scoring.method !== "asq") throw new Error("ASQ is scored by the asq method");
  const { screen, acuity } = asq.scoring;
  const [q1] = screen;

  it("keeps question 5 hidden until a screening answer is yes or refused", () => {
    const model = new Model(instrumentsToSurvey([asq]));
    const q5ref = questionRefs(asq).get(acuity);
    const q5 = q5ref ? model.getQuestionByName(q5ref.name) : null;
    expect(q5?.isVisible).toBe(false);
    answerOnModel(model, asq, { [q1 ?? ""]: "no" });
    expect(q5?.isVisible).toBe(false);
    answerOnModel(model, asq, { [q1 ?? ""]: "yes" });
    expect(q5?.isVisible).toBe(true);
    answerOnModel(model, asq, { [q1 ?? ""]: "refused" });
    expect(q5?.isVisible).toBe(true);
    answerOnModel(model, asq, { [q1 ?? ""]: "no" });
    expect(q5?.isVisible).toBe(false);
  });
});

describe("batteryToSurvey", () => {
  it.each(defaultBatteries.map((b) => b.id))("converts battery %s into one page per self-report instrument", (id) => {
    const b = battery(id);
    const json = batteryToSurvey(b);
    expect(json).toMatchObject({ locale: "zh-cn", showProgressBar: true });
    for (const key of ["autoAdvanceEnabled", "goNextPageAutomatic", "cookieName", "completedHtml"]) expect(json).not.toHaveProperty(key);
    const model = new Model(json);
    expect(model.pages.map((p) => p.name)).toEqual(b.selfReport.map((i) => i.replace(/-/g, "_")));
    const names = model.getAllQuestions().map((q) => q.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(json.pages.flatMap((p) => p.elements.map((q) => q.name)));
  });

  it("gives grades 1-3 no student pages", () => {
    expect(batteryToSurvey(battery("spring-grades-1-3")).pages).toEqual([]);
  });

  it("reads every item back as null from an empty survey", () => {
    const b = battery("autumn-grades-7-12");
    const answers = surveyDataToAnswers(b, new Model(batteryToSurvey(b)).data);
    expect(Object.keys(answers)).toEqual(b.selfReport);
    for (const id of b.selfReport) {
      expect(Object.values(answers[id] ?? {})).toEqual(instrument(id).items.map(() => null));
    }
  });

  it("gives back the answers set on the survey (a worked example)", () => {
    const b = battery("autumn-grades-7-12");
    const model = new Model(batteryToSurvey(b));
    const expected: Answers = {};
    for (const id of b.selfReport) {
      const inst = instrument(id);
      const answers: Record<string, AnswerValue> = {};
      for (const item of inst.items) {
        const values = choiceValues(inst, item);
        answers[item.id] = !isShown(inst, item, answers)
          ? null
          : item.type === "single"
            ? (values[values.length - 1] ?? null)
            : item.type === "multi"
              ? values.filter((v): v is string => typeof v === "string").slice(0, 2)
              : item.type === "text"
                ? "我最近睡不好"
                : null;
      }
      expected[id] = answers;
      answerOnModel(model, inst, answers);
    }
    expect(surveyDataToAnswers(b, model.data)).toEqual(expected);
    // The worked example really answers ASQ question 5 (its condition is met by the last option of q1).
    const asqAnswers = expected.asq ?? {};
    expect(Object.values(asqAnswers).filter((v) => v !== null).length).toBeGreaterThan(4);
  });

  it("reads values that are not options as null", () => {
    const b = battery("spring-grades-4-6");
    const model = new Model(batteryToSurvey(b));
    const refs = questionRefs(instrument("wellbeing-factors"));
    const sleep = refs.get("sleep");
    const answers = surveyDataToAnswers(b, { ...model.data, [sleep?.name ?? ""]: 99 });
    expect(answers["wellbeing-factors"]?.sleep).toBeNull();
  });

  it("round-trips any answers of the right shape through survey-core (property)", () => {
    for (const b of defaultBatteries.filter((x) => x.selfReport.length > 0 && x.grades.from === 7)) {
      const list = b.selfReport.map(instrument);
      const arb = fc.tuple(...list.map(answersArb));
      fc.assert(
        fc.property(arb, (perInstrument) => {
          const model = new Model(batteryToSurvey(b));
          const expected: Answers = {};
          list.forEach((inst, i) => {
            const answers = perInstrument[i] ?? {};
            expected[inst.id] = answers;
            answerOnModel(model, inst, answers);
          });
          expect(surveyDataToAnswers(b, model.data)).toEqual(expected);
        }),
        { numRuns: 60 },
      );
    }
  });
});
