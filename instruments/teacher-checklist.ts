import { defineInstrument } from "./schema";

/** Option values of the "signs" item: warning signs that make an observation a concern. */
export const warningSignValues = [
  "major-change",
  "self-harm",
  "frequent-absence",
  "conflict",
  "family-loss-or-crisis",
] as const;

/** Option values of the "key-population" item: the seven key-student categories plus new students. */
export const keyPopulationValues = [
  "economic-hardship",
  "learning-difficulty",
  "major-change",
  "left-behind-or-single-parent",
  "migrant-worker-family",
  "sudden-family-change",
  "disability",
  "new-student",
] as const;

/**
 * The homeroom / subject teacher's observation checklist (班主任、学科教师动态观察).
 *
 * Written by XinQing from the district policies in /work/shared/policy/:
 * - "signs": the abnormal psychological or behavioural signs staff must report to the homeroom and psychology
 *   teachers (Beijing 2023-2025 action plan: 学生异常情况报告制度); a self-harm sign is critical.
 * - "key-population": the "温心健康" action plan 2022-2025 (重点人群守护行动): schools pay special attention to
 *   new students (新生) and the seven key-student categories (七类重点学生): 经济困难, 学习困难, 思想、行规和学业上有
 *   重大变化, 留守儿童或单亲家庭, 进城务工随迁子女家庭, 突发重大变故家庭, 残疾. Labels keep the policy's wording.
 *   These are attributes that raise priority in the watch list, never concerns by themselves.
 */
export const teacherChecklist = defineInstrument({
  id: "teacher-checklist",
  version: "1",
  title: { "zh-CN": "教师观察记录", en: "Teacher observation checklist" },
  instructions: {
    "zh-CN": "请只勾选您观察到或确知的情况。记录将提交给学校心理教师。",
    en: "Tick only what you have observed or know for certain. Your record goes to the school counselor.",
  },
  respondent: "teacher",
  direction: "none",
  items: [
    {
      id: "signs",
      type: "multi",
      text: { "zh-CN": "近期观察到的预警信号（可多选）", en: "Warning signs observed recently (choose all that apply)" },
      options: [
        {
          value: "major-change",
          label: { "zh-CN": "思想、行为或学业上有重大变化", en: "Major change in thinking, behaviour or grades" },
        },
        { value: "self-harm", label: { "zh-CN": "有自伤迹象或相关言语", en: "Signs of self-harm, or talk of it" } },
        { value: "frequent-absence", label: { "zh-CN": "经常缺勤", en: "Frequent absence" } },
        { value: "conflict", label: { "zh-CN": "与他人发生冲突", en: "Conflict with others" } },
        {
          value: "family-loss-or-crisis",
          label: { "zh-CN": "家庭发生丧失或危机", en: "Loss or crisis in the family" },
        },
      ],
      scored: false,
      optional: true,
      concern: { anyOf: [...warningSignValues] },
      critical: { anyOf: ["self-harm"] },
    },
    {
      id: "key-population",
      type: "multi",
      text: {
        "zh-CN": "该生属于以下哪些重点关注群体？（可多选）",
        en: "Which key groups does this student belong to? (choose all that apply)",
      },
      options: [
        { value: "economic-hardship", label: { "zh-CN": "经济困难", en: "Economic hardship" } },
        { value: "learning-difficulty", label: { "zh-CN": "学习困难", en: "Learning difficulty" } },
        {
          value: "major-change",
          label: {
            "zh-CN": "思想、行规和学业上有重大变化",
            en: "Major change in thought, conduct or schoolwork",
          },
        },
        {
          value: "left-behind-or-single-parent",
          label: { "zh-CN": "留守儿童或单亲家庭", en: "Left-behind child or single-parent family" },
        },
        { value: "migrant-worker-family", label: { "zh-CN": "进城务工随迁子女家庭", en: "Child of a migrant-worker family" } },
        { value: "sudden-family-change", label: { "zh-CN": "突发重大变故家庭", en: "Sudden major change in the family" } },
        { value: "disability", label: { "zh-CN": "残疾", en: "Disability" } },
        { value: "new-student", label: { "zh-CN": "新生", en: "New student" } },
      ],
      scored: false,
      optional: true,
    },
    {
      id: "note",
      type: "text",
      text: {
        "zh-CN": "补充说明（选填，请写观察到的事实）",
        en: "Notes (optional; please describe what you observed)",
      },
      scored: false,
      optional: true,
    },
  ],
  scoring: { method: "none" },
  licence: { kind: "own", terms: "Written by XinQing; free to use and adapt with the rest of XinQing." },
  source: {
    citation:
      "XinQing, from the district policies: \"温心健康\" action plan 2022-2025 (七类重点学生 and 新生); Beijing 2023-2025 action plan (学生异常情况报告制度)",
  },
  chinese: { status: "own" },
});
