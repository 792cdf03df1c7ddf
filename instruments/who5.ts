import { defineInstrument } from "./schema";

/**
 * WHO-Five Well-Being Index (WHO-5), student self-report, well-being over the last two weeks (the district
 * happiness index).
 *
 * - Instrument, English wording and 0-5 options: WHO Regional Office for Europe, 1998 (DepCare project);
 *   republished by WHO in 2024 as WHO/UCN/MSD/MHE/2024.01
 *   (https://www.who.int/publications/m/item/WHO-UCN-MSD-MHE-2024.01); language versions at
 *   https://www.psykiatri-regionh.dk/who-5/who-5-questionnaires/Pages/default.aspx. Options keep the order
 *   printed on the form: "all of the time" (5) first, "at no time" (0) last.
 * - Scoring: raw 0-25, percent = raw × 4. Bands on the raw total:
 *   likely-depression 0-7 (percent <= 28, reported from Topp CW, Østergaard SD, Søndergaard S, Bech P. The
 *   WHO-5 Well-Being Index: a systematic review of the literature. Psychother Psychosom 2015;84:167-176);
 *   poor 8-12 (1998 guide: raw below 13 is poor well-being, test for depression); adequate 13-25.
 * - Flag item-low: 1998 guide, test for depression if any single item is 0 or 1.
 * - Reliability of the Chinese version in senior middle school (N = 706, Shanghai): Cronbach's alpha 0.907,
 *   2-week retest ICC 0.644: Wang Z, Bian Q. Reliability and validity of the World Health Organization
 *   Five-item Well-Being Index for detecting depressive disorders in senior middle school students
 *   (世界卫生组织五项身心健康指标在识别高中生抑郁障碍中的信效度). Chinese Mental Health Journal
 *   2011;25(4):279-283, doi:10.3969/j.issn.1000-6729.2011.04.010.
 * - Terms: free; name the source; any change of wording must be marked and back-translated (psykiatri-regionh
 *   page). WHO's 2024 republication is reported under CC BY-NC-SA 3.0 IGO (non-commercial; see
 *   docs/instruments.md).
 * - Chinese wording: WHO's "Chinese PR characters" version (September 2007, the 1998 form), as transcribed
 *   identically by four independent public repositories that cite the WHO PDF. Its Chinese instruction text
 *   was not found, so `instructions` is left out (open item in docs/instruments.md).
 */
export const who5 = defineInstrument({
  id: "who5",
  version: "1",
  title: { "zh-CN": "世界卫生组织五项身心健康指标（WHO-5）", en: "WHO-Five Well-Being Index (WHO-5)" },
  respondent: "student",
  direction: "wellbeing",
  // zh-CN labels: WHO Chinese PR PDF as transcribed in repository copies (search-index ids 70540433117,
  // 61160763528, 69500126324, 71210519723). Official order as printed: all of the time first.
  options: [
    { value: 5, label: { "zh-CN": "所有时间", en: "All of the time" } },
    { value: 4, label: { "zh-CN": "大部分时间", en: "Most of the time" } },
    { value: 3, label: { "zh-CN": "超过一半的时间", en: "More than half of the time" } },
    { value: 2, label: { "zh-CN": "少于一半的时间", en: "Less than half of the time" } },
    { value: 1, label: { "zh-CN": "有时候", en: "Some of the time" } },
    { value: 0, label: { "zh-CN": "从未有过", en: "At no time" } },
  ],
  items: [
    // zh-CN: WHO Chinese PR PDF (https://cdn.who.int/media/docs/default-source/mental-health/five-well-being-index-(who-5)/who5_chinese_pr.pdf),
    // as transcribed identically in search-index ids 70540433117, 61160763528, 69500126324 and 71210519723.
    // Older web copies read 足够的休息 in item 4 (ids 32745345875, 32311818615). English: WHO-5 English form.
    { id: "q1", type: "single", text: { "zh-CN": "我感觉快乐、心情舒畅", en: "I have felt cheerful and in good spirits" } },
    { id: "q2", type: "single", text: { "zh-CN": "我感觉宁静和放松", en: "I have felt calm and relaxed" } },
    { id: "q3", type: "single", text: { "zh-CN": "我感觉充满活力、精力充沛", en: "I have felt active and vigorous" } },
    {
      id: "q4",
      type: "single",
      text: { "zh-CN": "我睡醒时感到清新、得到了足够休息", en: "I woke up feeling fresh and rested" },
    },
    {
      id: "q5",
      type: "single",
      text: { "zh-CN": "我每天生活充满了有趣的事情", en: "My daily life has been filled with things that interest me" },
    },
  ],
  scoring: {
    method: "sum",
    percentFactor: 4,
    missing: { allowed: 0, beyond: "incomplete" },
    bands: [
      // Percent <= 28 (raw <= 7): likely depression, reported from Topp et al. 2015.
      {
        id: "likely-depression",
        min: 0,
        max: 7,
        label: { "zh-CN": "可能存在抑郁（百分制≤28）", en: "Likely depression (percent ≤ 28)" },
      },
      // 1998 guide: raw below 13 = poor well-being, test for depression.
      {
        id: "poor",
        min: 8,
        max: 12,
        label: { "zh-CN": "身心健康状况较差（建议抑郁评估）", en: "Poor well-being (test for depression)" },
      },
      { id: "adequate", min: 13, max: 25, label: { "zh-CN": "身心健康状况尚可", en: "Adequate well-being" } },
    ],
    // 1998 guide: test for depression if any single item is 0 or 1, whatever the total.
    flags: [
      {
        id: "item-low",
        anyItemIn: [0, 1],
        label: {
          "zh-CN": "至少一题为0或1分（建议抑郁评估）",
          en: "At least one item scored 0 or 1 (test for depression)",
        },
      },
    ],
  },
  reliability: {
    alpha: 0.907,
    source: {
      citation:
        "Wang Z, Bian Q. Reliability and validity of the World Health Organization Five-item Well-Being Index for detecting depressive disorders in senior middle school students. Chinese Mental Health Journal 2011;25(4):279-283. doi:10.3969/j.issn.1000-6729.2011.04.010",
      url: "https://doi.org/10.3969/j.issn.1000-6729.2011.04.010",
    },
  },
  licence: {
    kind: "free",
    terms:
      "Free to use; the source must be named (Psychiatric Centre North Zealand). Any change of wording must be clearly marked, with an English back-translation and the reason. WHO's 2024 republication (WHO/UCN/MSD/MHE/2024.01) is reported under CC BY-NC-SA 3.0 IGO: non-commercial use, attribution, share-alike, no WHO logo or endorsement.",
    attribution:
      "WHO-Five Well-Being Index (WHO-5). Psychiatric Centre North Zealand, Hillerød, Denmark; World Health Organization, 1998 / 2024 (WHO/UCN/MSD/MHE/2024.01).",
    url: "https://www.psykiatri-regionh.dk/who-5/who-5-questionnaires/Pages/default.aspx",
  },
  source: {
    citation:
      "World Health Organization. The World Health Organization-Five Well-Being Index (WHO-5). Geneva: WHO; 2024 (WHO/UCN/MSD/MHE/2024.01). First presented in: WHO Regional Office for Europe. Wellbeing measures in primary health care: the DepCare project. 1998.",
    url: "https://www.who.int/publications/m/item/WHO-UCN-MSD-MHE-2024.01",
  },
  chinese: {
    status: "official-translation",
    source: {
      citation:
        "WHO-5 Chinese PR characters version (September 2007; 1998 form), published on the WHO site; WHO notes it does not guarantee the translation and the English original prevails. Transcribed from independent public copies, not read directly (docs/instruments.md).",
      url: "https://cdn.who.int/media/docs/default-source/mental-health/five-well-being-index-(who-5)/who5_chinese_pr.pdf",
    },
  },
});
