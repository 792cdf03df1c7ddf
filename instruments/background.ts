import { defineInstrument } from "./schema";

/**
 * Autumn background questions a student can answer about themselves without being singled out: who they
 * live with, boarding, and whether a parent works away from home. They inform the key-student attributes of
 * the "温心健康" action plan 2022-2025 (留守儿童或单亲家庭, 进城务工随迁子女家庭) without naming a category:
 * the student ticks facts, never a label. Every item is optional and has a "prefer not to say" answer.
 * Written by XinQing; not scored.
 */
export const background = defineInstrument({
  id: "background",
  version: "1",
  title: { "zh-CN": "关于我", en: "About me" },
  instructions: {
    "zh-CN": "最后几个关于你生活情况的小问题。都可以不答。",
    en: "A few last short questions about your home life. You may skip any of them.",
  },
  respondent: "student",
  direction: "none",
  items: [
    {
      id: "lives-with",
      type: "multi",
      text: {
        "zh-CN": "上学期间，你平时和谁住在一起？（可以多选）",
        en: "During the school term, who do you usually live with? (choose all that apply)",
      },
      options: [
        { value: "mother", label: { "zh-CN": "妈妈", en: "Mother" } },
        { value: "father", label: { "zh-CN": "爸爸", en: "Father" } },
        { value: "grandparents", label: { "zh-CN": "爷爷奶奶或外公外婆", en: "Grandparents" } },
        { value: "other-relatives", label: { "zh-CN": "其他亲戚", en: "Other relatives" } },
        { value: "siblings", label: { "zh-CN": "兄弟姐妹", en: "Brothers or sisters" } },
        { value: "other", label: { "zh-CN": "其他人", en: "Someone else" } },
        { value: "prefer-not-to-say", label: { "zh-CN": "不想说", en: "Prefer not to say" } },
      ],
      scored: false,
      optional: true,
    },
    {
      id: "boarding",
      type: "single",
      text: { "zh-CN": "你在学校住宿吗？", en: "Do you board at school?" },
      options: [
        { value: "day", label: { "zh-CN": "不住校，每天回家", en: "No, I go home every day" } },
        { value: "weekly", label: { "zh-CN": "住校，每周回家", en: "Yes, I go home every week" } },
        { value: "longer", label: { "zh-CN": "住校，回家间隔更长", en: "Yes, I go home less often than weekly" } },
        { value: "prefer-not-to-say", label: { "zh-CN": "不想说", en: "Prefer not to say" } },
      ],
      scored: false,
      optional: true,
    },
    {
      id: "parents-away",
      type: "single",
      text: {
        "zh-CN": "你的爸爸妈妈是否在外地工作，一年中大部分时间不在家？",
        en: "Do your parents work away from home for most of the year?",
      },
      options: [
        { value: "neither", label: { "zh-CN": "都不是", en: "Neither of them" } },
        { value: "one", label: { "zh-CN": "其中一人是", en: "One of them" } },
        { value: "both", label: { "zh-CN": "两人都是", en: "Both of them" } },
        { value: "prefer-not-to-say", label: { "zh-CN": "不清楚或不想说", en: "Not sure, or prefer not to say" } },
      ],
      scored: false,
      optional: true,
    },
  ],
  scoring: { method: "none" },
  licence: { kind: "own", terms: "Written by XinQing; free to use and adapt with the rest of XinQing." },
  source: {
    citation: "XinQing, for the key-student attributes of the \"温心健康\" action plan 2022-2025",
  },
  chinese: { status: "own" },
});
