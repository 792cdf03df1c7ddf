import { defineInstrument, type Localized } from "./schema";

/** Shown on every ASQ item: the Chinese wording is a working translation, not the NIMH Mandarin version. */
const translationNote: Localized = {
  "zh-CN": "本题中文为心晴工作译文，尚未验证；美国国立精神卫生研究院（NIMH）普通话版本尚待核对",
  en: "XinQing working translation, not validated; the NIMH Mandarin version has not yet been checked",
};

/**
 * Ask Suicide-Screening Questions (ASQ), student self-report suicide-risk screen.
 *
 * - Instrument, English wording and scoring: NIMH ASQ Toolkit, ASQ Tool
 *   (https://www.nimh.nih.gov/research/research-conducted-at-nimh/asq-toolkit-materials); Horowitz LM, Bridge
 *   JA, Teach SJ, et al. Ask Suicide-Screening Questions (ASQ): a brief instrument for the pediatric emergency
 *   department. Arch Pediatr Adolesc Med 2012;166(12):1170-1176.
 * - Questions 1-4 are yes/no; question 4 has a "how? when?" follow-up written down on the tool. Question 5
 *   (thoughts right now) is asked only when any of 1-4 is yes; for youth a refusal to answer counts as
 *   positive (toolkit), so "refused" is an answer and shows question 5 too.
 * - Not a sum: every item is scored false. Scoring method "asq": negative = no to 1-4; non-acute positive =
 *   yes or refused on any of 1-4 and no on 5 (brief suicide safety assessment the same day); acute positive =
 *   yes on 5 (imminent risk: urgent full safety evaluation). Every positive gets the resource list.
 * - Critical: yes or refused on any question reaches a counselor whatever else the scoring says.
 * - Terms: a free NIMH resource; NIMH publications are public domain, citation appreciated. The toolkit says
 *   the tool may be used in settings such as school nursing offices.
 * - Chinese wording: NIMH lists a Mandarin translation, but its text could not be found in any stored copy.
 *   The Chinese below is XinQing's working translation of the English tool (status "not-validated", every
 *   item carries a note); replace it with the NIMH Mandarin wording when obtained.
 */
export const asq = defineInstrument({
  id: "asq",
  version: "1",
  title: { "zh-CN": "自杀风险筛查问题（ASQ）", en: "Ask Suicide-Screening Questions (ASQ)" },
  respondent: "student",
  direction: "symptom",
  // Yes / no as on the tool; "refused" records a refusal, which the toolkit counts as positive for youth.
  // zh-CN labels as set in the XinQing issue (working wording, see translationNote).
  options: [
    { value: "yes", label: { "zh-CN": "是", en: "Yes" } },
    { value: "no", label: { "zh-CN": "否", en: "No" } },
    { value: "refused", label: { "zh-CN": "不想回答", en: "I don't want to answer" } },
  ],
  items: [
    // English: NIMH ASQ Tool, questions 1-5 word for word. zh-CN: XinQing working translation (no published
    // Chinese wording found; see docs/instruments.md).
    {
      id: "q1",
      type: "single",
      text: { "zh-CN": "在过去几周里，你是否希望自己已经死了？", en: "In the past few weeks, have you wished you were dead?" },
      scored: false,
      critical: { anyOf: ["yes", "refused"] },
      note: translationNote,
    },
    {
      id: "q2",
      type: "single",
      text: {
        "zh-CN": "在过去几周里，你是否觉得如果你死了，你或你的家人会过得更好？",
        en: "In the past few weeks, have you felt that you or your family would be better off if you were dead?",
      },
      scored: false,
      critical: { anyOf: ["yes", "refused"] },
      note: translationNote,
    },
    {
      id: "q3",
      type: "single",
      text: {
        "zh-CN": "在过去一周里，你是否一直有自杀的想法？",
        en: "In the past week, have you been having thoughts about killing yourself?",
      },
      scored: false,
      critical: { anyOf: ["yes", "refused"] },
      note: translationNote,
    },
    {
      id: "q4",
      type: "single",
      text: { "zh-CN": "你是否曾经尝试过自杀？", en: "Have you ever tried to kill yourself?" },
      scored: false,
      critical: { anyOf: ["yes", "refused"] },
      note: translationNote,
    },
    {
      // The tool's follow-up to question 4: "If yes, how?" and "When?" on the same line.
      id: "q4-detail",
      type: "text",
      text: { "zh-CN": "如果是，是用什么方式？是什么时候？", en: "If yes, how? When?" },
      scored: false,
      optional: true,
      showIf: { items: ["q4"], anyIn: ["yes"] },
      note: translationNote,
    },
    {
      // Acuity question: asked when any of 1-4 is yes, or refused (refusal counts as positive for youth).
      id: "q5",
      type: "single",
      text: {
        "zh-CN": "你现在是否有自杀的想法？",
        en: "Are you having thoughts of killing yourself right now?",
      },
      scored: false,
      critical: { anyOf: ["yes", "refused"] },
      showIf: { items: ["q1", "q2", "q3", "q4"], anyIn: ["yes", "refused"] },
      note: translationNote,
    },
  ],
  scoring: {
    method: "asq",
    screen: ["q1", "q2", "q3", "q4"],
    acuity: "q5",
    bands: [
      { id: "negative", label: { "zh-CN": "筛查阴性", en: "Negative screen" } },
      {
        id: "non-acute-positive",
        label: { "zh-CN": "非紧急阳性（存在潜在风险）", en: "Non-acute positive screen (potential risk)" },
      },
      {
        id: "acute-positive",
        label: { "zh-CN": "紧急阳性（存在紧迫风险）", en: "Acute positive screen (imminent risk)" },
      },
    ],
  },
  licence: {
    kind: "public-domain",
    terms:
      "Free NIMH resource; NIMH publications are in the public domain and may be used without permission. Citation of the source is appreciated.",
    attribution: "Ask Suicide-Screening Questions (ASQ), National Institute of Mental Health",
    url: "https://www.nimh.nih.gov/research/research-conducted-at-nimh/asq-toolkit-materials",
  },
  source: {
    citation:
      "National Institute of Mental Health. Ask Suicide-Screening Questions (ASQ) Toolkit: ASQ Tool. Horowitz LM, Bridge JA, Teach SJ, et al. Ask Suicide-Screening Questions (ASQ): a brief instrument for the pediatric emergency department. Arch Pediatr Adolesc Med 2012;166(12):1170-1176.",
    url: "https://www.nimh.nih.gov/research/research-conducted-at-nimh/asq-toolkit-materials",
  },
  chinese: {
    status: "not-validated",
    source: {
      citation:
        "XinQing working translation of the English NIMH ASQ Tool; the NIMH Mandarin translation listed in the toolkit ('ASQ in other languages') was not found. See docs/instruments.md.",
      url: "https://www.nimh.nih.gov/research/research-conducted-at-nimh/asq-toolkit-materials",
    },
  },
});
