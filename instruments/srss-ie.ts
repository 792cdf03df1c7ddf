import { defineInstrument, type Band, type Localized } from "./schema";

/** SRSS-IE has no Chinese version: every item says so (INSTRUMENTS.md). */
const translationNote: Localized = { "zh-CN": "中文译本尚未经过验证", en: "translation not yet validated" };

const item = (id: string, zh: string, en: string) => ({
  id,
  type: "single" as const,
  text: { "zh-CN": zh, en },
  note: translationNote,
});

const band = (id: "low" | "moderate" | "high", min: number, max: number): Band => ({
  id,
  min,
  max,
  label: {
    low: { "zh-CN": "低风险", en: "Low risk" },
    moderate: { "zh-CN": "中等风险", en: "Moderate risk" },
    high: { "zh-CN": "高风险", en: "High risk" },
  }[id],
});

/** The five internalizing items added by Lane et al. (SRSS-IE12). */
const i5Items = ["emotionally-flat", "shy-withdrawn", "sad-depressed", "anxious", "lonely"];

/**
 * Student Risk Screening Scale for Internalizing and Externalizing behaviours (SRSS-IE, 12 items), teacher
 * report (XinQing's default batteries use it in grades 7-12). Every student of a class is rated, at least six
 * weeks into term.
 *
 * - E7: Drummond T. The Student Risk Screening Scale (SRSS). Grants Pass, OR: Josephine County Mental Health
 *   Program; 1994. Bands 0-3 low, 4-8 moderate, 9-21 high.
 * - I5 items: Lane KL, Oakes WP, Carter EW, Lambert WE, Jenkins AB. Initial evidence for the reliability and
 *   validity of the SRSS-IE at the middle school level. Assessment for Effective Intervention 2013;39(1):24-38.
 * - I5 bands for elementary (primary) students, 0-1 low, 2-3 moderate, 4-15 high: Lane KL, Oakes WP, Swogger ED,
 *   Schatschneider C, Menzies HM, Sanchez J. Behavioral Disorders 2015;40(3):159-170,
 *   doi:10.17988/0198-7429-40.3.159.
 * - I6 bands for middle and high school, 0-3 low, 4-5 moderate, 6-18 high: Lane KL, Oakes WP, Cantwell ED, et al.
 *   Behavioral Disorders 2016;42(1):271-284, doi:10.17988/BD-16-115.1. I6 is I5 plus peer rejection: the
 *   0-18 range confirms six items, but the identity of the sixth item is as reported by INSTRUMENTS.md; the
 *   stored abstracts do not name it, so check it against the paper.
 * - Ratings 0-3 (never / occasionally / sometimes / frequently). Items are rated without definitions and must not
 *   be changed. The total has no bands; every item is required (no missing-data rule is published).
 * - No Chinese version exists: the text here is XinQing's translation, not validated (note on every item).
 * - Terms: no-cost; Ci3T (Comprehensive, Integrated, Three-tiered models of prevention) asks to be told of use.
 *   The 9-item SRSS-IE 9 (Lane et al. 2025) is not shipped: its authors ask for replication first.
 */
export const srssIe = defineInstrument({
  id: "srss-ie",
  version: "1",
  title: {
    "zh-CN": "学生风险筛查量表（内化与外化行为，SRSS-IE）",
    en: "Student Risk Screening Scale for Internalizing and Externalizing (SRSS-IE)",
  },
  instructions: {
    "zh-CN": "请根据这名学生在学校的表现，为每一项选择出现的频率。",
    en: "Rate how often this student shows each behaviour at school.",
  },
  respondent: "teacher",
  direction: "symptom",
  options: [
    { value: 0, label: { "zh-CN": "从不", en: "Never" } },
    { value: 1, label: { "zh-CN": "偶尔", en: "Occasionally" } },
    { value: 2, label: { "zh-CN": "有时", en: "Sometimes" } },
    { value: 3, label: { "zh-CN": "经常", en: "Frequently" } },
  ],
  items: [
    item("steal", "偷窃", "Steal"),
    item("lie-cheat-sneak", "说谎、作弊、偷偷摸摸", "Lie, cheat, sneak"),
    item("behavior-problem", "行为问题", "Behavior problem"),
    item("peer-rejection", "被同伴排斥", "Peer rejection"),
    item("low-academic-achievement", "学业成绩低", "Low academic achievement"),
    item("negative-attitude", "消极态度", "Negative attitude"),
    item("aggressive-behavior", "攻击行为", "Aggressive behavior"),
    item("emotionally-flat", "情感淡漠", "Emotionally flat"),
    item("shy-withdrawn", "害羞、退缩", "Shy, withdrawn"),
    item("sad-depressed", "悲伤、抑郁", "Sad, depressed"),
    item("anxious", "焦虑", "Anxious"),
    item("lonely", "孤独", "Lonely"),
  ],
  subscales: [
    {
      id: "e7",
      label: { "zh-CN": "外化行为（E7）", en: "Externalizing (E7)" },
      items: [
        "steal",
        "lie-cheat-sneak",
        "behavior-problem",
        "peer-rejection",
        "low-academic-achievement",
        "negative-attitude",
        "aggressive-behavior",
      ],
      // Drummond 1994.
      bands: [band("low", 0, 3), band("moderate", 4, 8), band("high", 9, 21)],
    },
    {
      id: "i5",
      label: { "zh-CN": "内化行为（I5，小学）", en: "Internalizing (I5, primary)" },
      items: i5Items,
      level: "primary",
      // Lane et al. 2015, Behavioral Disorders 40(3).
      bands: [band("low", 0, 1), band("moderate", 2, 3), band("high", 4, 15)],
    },
    {
      id: "i6",
      label: { "zh-CN": "内化行为（I6，中学）", en: "Internalizing (I6, secondary)" },
      items: [...i5Items, "peer-rejection"],
      level: "secondary",
      // Lane et al. 2016, Behavioral Disorders 42(1).
      bands: [band("low", 0, 3), band("moderate", 4, 5), band("high", 6, 18)],
    },
  ],
  scoring: { method: "sum", missing: { allowed: 0, beyond: "incomplete" } },
  licence: {
    kind: "free",
    terms: "No-cost; Ci3T asks to be told when a school or district uses the SRSS-IE. Items must not be changed or given definitions.",
    attribution: "Student Risk Screening Scale for Internalizing and Externalizing (SRSS-IE): Drummond (1994); Lane, Oakes and colleagues (Ci3T)",
  },
  source: {
    citation:
      "Drummond T. The Student Risk Screening Scale (SRSS). Josephine County Mental Health Program, 1994; Lane KL, Oakes WP, Carter EW, Lambert WE, Jenkins AB. Assessment for Effective Intervention 2013;39(1):24-38",
  },
  chinese: { status: "not-validated" },
});
