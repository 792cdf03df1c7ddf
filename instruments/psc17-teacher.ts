import { defineInstrument, type Localized } from "./schema";

/** Shown on every item: this Chinese wording is XinQing's, not the wording the 2024 study validated. */
const translationNote: Localized = {
  "zh-CN": "本题中文译文为心晴自译，尚未经过验证（已验证中文版的原文措辞尚未获得）",
  en: "XinQing's own translation, not yet validated (the validated Chinese wording has not been obtained)",
};

const item = (id: string, zh: string, en: string) => ({
  id,
  type: "single" as const,
  text: { "zh-CN": zh, en },
  note: translationNote,
});

/**
 * Pediatric Symptom Checklist-17 (PSC-17), teacher report, for primary grades 1-6.
 *
 * - Items, order and the never / sometimes / often = 0 / 1 / 2 ratings: the PSC-17 form (Gardner W, Murphy JM,
 *   Childs G, et al. The PSC-17: a brief pediatric symptom checklist including psychosocial problem subscales.
 *   Ambulatory Child Health 1999;5:225-236), based on the PSC (Jellinek M, Murphy JM et al., J Pediatr
 *   1988;112:201-209). The 17 items appear in the form's order; ids name the item, never its position.
 * - Subscales (PSC-17 scoring instructions): internalizing = sad, hopeless, down on self, less fun, worries;
 *   attention = fidgety, daydreams, concentrating, driven by a motor, distracted; externalizing = refuses to
 *   share, others' feelings, fights, blames others, rules, teases, takes things.
 * - Missing: blank items count 0; four or more blanks make the form invalid (PSC scoring instructions).
 * - Total cut-off 17 for Chinese primary-school teachers: Liu J, Ding R, Liu T, He W, Bao Y, Gao R, Hood SK.
 *   Validating the Teacher Version of Pediatric Symptom Checklist-17 in Chinese Elementary Schools.
 *   Behavioral Disorders 2024;49(4):250-264, doi:10.1177/01987429241228506 (74 teachers, 666 students; a
 *   general-factor model fitted best; cut-off 17 versus 15 in the original).
 * - No subscale bands: the 2024 study reports a general factor and a total cut-off only; the US subscale
 *   cut-offs (I ≥ 5, A ≥ 7, E ≥ 7) were set for parent reports and are not carried over to Chinese teachers.
 * - Chinese wording: the study's simplified-Chinese item text was not found in any public source we could read,
 *   so the text here is XinQing's own translation (status "not-validated", every item carries a note). Replace
 *   it with the study's wording when the authors provide it, then set the status to "validated".
 * - Terms: the PSC is free of charge (Massachusetts General Hospital); items and their order must not change.
 */
export const psc17Teacher = defineInstrument({
  id: "psc17-teacher",
  version: "1",
  title: { "zh-CN": "儿童症状检查表（PSC-17）教师版", en: "Pediatric Symptom Checklist-17 (PSC-17), teacher report" },
  instructions: {
    "zh-CN": "请根据您在学校对这名学生的观察，为每一项选择最符合的情况。",
    en: "Based on what you see of this student at school, choose the answer that fits best for each item.",
  },
  respondent: "teacher",
  direction: "symptom",
  options: [
    { value: 0, label: { "zh-CN": "从不", en: "Never" } },
    { value: 1, label: { "zh-CN": "有时", en: "Sometimes" } },
    { value: 2, label: { "zh-CN": "经常", en: "Often" } },
  ],
  items: [
    item("fidgety", "坐立不安,无法安静地坐着", "Fidgety, unable to sit still"),
    item("sad", "感到难过、不开心", "Feels sad, unhappy"),
    item("daydreams", "做白日梦太多", "Daydreams too much"),
    item("refuses-to-share", "不肯与人分享", "Refuses to share"),
    item("others-feelings", "不理解别人的感受", "Does not understand other people's feelings"),
    item("hopeless", "感到没有希望", "Feels hopeless"),
    item("concentrating", "难以集中注意力", "Has trouble concentrating"),
    item("fights", "和其他孩子打架", "Fights with other children"),
    item("down-on-self", "看不起自己", "Is down on him or herself"),
    item("blames-others", "把自己的麻烦归咎于别人", "Blames others for his or her troubles"),
    item("less-fun", "似乎玩得没有以前开心", "Seems to be having less fun"),
    item("rules", "不听从规则", "Does not listen to rules"),
    item("motor", "像装了马达一样停不下来", "Acts as if driven by a motor"),
    item("teases", "取笑别人", "Teases others"),
    item("worries", "担心的事情很多", "Worries a lot"),
    item("takes-things", "拿不属于自己的东西", "Takes things that do not belong to him or her"),
    item("distracted", "容易分心", "Distracted easily"),
  ],
  subscales: [
    {
      id: "internalizing",
      label: { "zh-CN": "内化问题", en: "Internalizing" },
      items: ["sad", "hopeless", "down-on-self", "less-fun", "worries"],
    },
    {
      id: "attention",
      label: { "zh-CN": "注意问题", en: "Attention" },
      items: ["fidgety", "daydreams", "concentrating", "motor", "distracted"],
    },
    {
      id: "externalizing",
      label: { "zh-CN": "外化问题", en: "Externalizing" },
      items: ["refuses-to-share", "others-feelings", "fights", "blames-others", "rules", "teases", "takes-things"],
    },
  ],
  scoring: {
    method: "sum",
    // Liu, Ding et al. 2024 (Behavioral Disorders 49(4)): total >= 17 for Chinese primary-school teachers.
    bands: [
      { id: "below-cutoff", min: 0, max: 16, label: { "zh-CN": "低于临界分", en: "Below the cut-off" } },
      { id: "at-risk", min: 17, max: 34, label: { "zh-CN": "达到临界分（≥17）", en: "At or above the cut-off (≥ 17)" } },
    ],
    // PSC scoring instructions: blanks count 0; four or more blanks make the form invalid.
    missing: { allowed: 3, beyond: "invalid" },
  },
  licence: {
    kind: "free",
    terms: "Free of charge (Massachusetts General Hospital); items and their order must not be changed.",
    attribution:
      "Pediatric Symptom Checklist (PSC), M. Jellinek & J.M. Murphy, Massachusetts General Hospital; 17-item version by W. Gardner & K. Kelleher",
    url: "https://www.massgeneral.org/psychiatry/treatments-and-services/pediatric-symptom-checklist",
  },
  source: {
    citation:
      "Gardner W, Murphy JM, Childs G, et al. The PSC-17: a brief pediatric symptom checklist including psychosocial problem subscales. Ambulatory Child Health 1999;5:225-236",
  },
  chinese: { status: "not-validated" },
});
