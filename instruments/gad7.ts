import { phqScreenersLicence } from "./phq-screeners";
import { defineInstrument } from "./schema";

/**
 * Generalized Anxiety Disorder 7-item scale (GAD-7), student self-report, anxiety over the last two weeks.
 *
 * - Instrument, English wording, 0-3 options and the severity bands 5 / 10 / 15: Spitzer RL, Kroenke K,
 *   Williams JBW, Löwe B. A brief measure for assessing generalized anxiety disorder: the GAD-7. Arch Intern
 *   Med 2006;166(10):1092-1097, doi:10.1001/archinte.166.10.1092; official form "GAD-7_English.pdf" on
 *   https://www.phqscreeners.com/select-screener. The form ends with the same unscored "how difficult"
 *   question as the PHQ-9 (here q8: scored false, optional).
 * - Terms as the PHQ-9 (phqscreeners.com): no permission required to reproduce, translate, display or
 *   distribute; keep the credit line; do not change items or options.
 * - Reliability: not set. The brief names Sun J et al., Psychometric Properties of the GAD-7 in a Large Sample
 *   of Chinese Adolescents, Healthcare 2021;9(12):1709 (N = 67,281, ages 10-17; "good internal consistency"),
 *   but its alpha value could not be read in any stored copy, so no number is entered (docs/instruments.md).
 * - Chinese wording: the publisher's "GAD7_Simplified Chinese for Mainland China.pdf" could not be read here.
 *   Items are the wording independent public copies agree on; the options, stem and q8 have competing or
 *   borrowed wordings (docs/instruments.md). Status "not-validated" until checked against that PDF.
 */
export const gad7 = defineInstrument({
  id: "gad7",
  version: "1",
  title: { "zh-CN": "广泛性焦虑障碍量表（GAD-7）", en: "Generalized Anxiety Disorder 7-item scale (GAD-7)" },
  // zh-CN stem: no GAD-7 copy with a stem was found; this is the PHQ-9 Chinese stem (same publisher and
  // time frame), used until the GAD-7 PDF is checked. English: GAD-7_English.pdf.
  instructions: {
    "zh-CN": "在过去两个星期，有多少时候您受到以下任何问题所困扰？",
    en: "Over the last 2 weeks, how often have you been bothered by the following problems?",
  },
  respondent: "student",
  direction: "symptom",
  // zh-CN labels: two independent repository copies (search-index ids 22263737589 and 1574742020) read
  // 完全不会 / 好几天 / 超过一周 / 几乎每天; two others read 完全不会 / 几天 / 一半以上的日子 / 几乎每天
  // (ids 9886886574, 685567384). The first is kept; the choice is open until the PDF is checked.
  options: [
    { value: 0, label: { "zh-CN": "完全不会", en: "Not at all" } },
    { value: 1, label: { "zh-CN": "好几天", en: "Several days" } },
    { value: 2, label: { "zh-CN": "超过一周", en: "More than half the days" } },
    { value: 3, label: { "zh-CN": "几乎每天", en: "Nearly every day" } },
  ],
  items: [
    // zh-CN items 1-7: identical in repository copies (search-index ids 55624666461, 47419695769, 685567384,
    // 62755233244; id 9886886574 has 、 instead of ， in item 1). English: GAD-7_English.pdf.
    {
      id: "q1",
      type: "single",
      text: { "zh-CN": "感觉紧张，焦虑或急切", en: "Feeling nervous, anxious, or on edge" },
    },
    {
      id: "q2",
      type: "single",
      text: { "zh-CN": "不能够停止或控制担忧", en: "Not being able to stop or control worrying" },
    },
    {
      id: "q3",
      type: "single",
      text: { "zh-CN": "对各种各样的事情担忧过多", en: "Worrying too much about different things" },
    },
    { id: "q4", type: "single", text: { "zh-CN": "很难放松下来", en: "Trouble relaxing" } },
    {
      id: "q5",
      type: "single",
      text: { "zh-CN": "由于不安而无法静坐", en: "Being so restless that it is hard to sit still" },
    },
    {
      id: "q6",
      type: "single",
      text: { "zh-CN": "变得容易烦恼或急躁", en: "Becoming easily annoyed or irritable" },
    },
    {
      id: "q7",
      type: "single",
      text: { "zh-CN": "感到似乎将有可怕的事情发生而害怕", en: "Feeling afraid as if something awful might happen" },
    },
    {
      id: "q8",
      type: "single",
      // zh-CN: no GAD-7 copy found; this is the PHQ-9 Chinese wording of the same question (search-index id
      // 66719589317). English: the difficulty question printed on the GAD-7 form.
      text: {
        "zh-CN": "这些问题在您工作、处理家庭事务，或与他人相处上造成了多大困难",
        en: "If you checked off any problems, how difficult have these problems made it for you to do your work, take care of things at home, or get along with other people?",
      },
      options: [
        { value: 0, label: { "zh-CN": "毫无困难", en: "Not difficult at all" } },
        { value: 1, label: { "zh-CN": "有点困难", en: "Somewhat difficult" } },
        { value: 2, label: { "zh-CN": "非常困难", en: "Very difficult" } },
        { value: 3, label: { "zh-CN": "极度困难", en: "Extremely difficult" } },
      ],
      // Not part of the GAD-7 total (PHQ/GAD-7 instruction manual).
      scored: false,
      optional: true,
    },
  ],
  scoring: {
    method: "sum",
    missing: { allowed: 0, beyond: "incomplete" },
    // Spitzer et al. 2006: 5, 10 and 15 mark mild, moderate and severe anxiety.
    bands: [
      { id: "minimal", min: 0, max: 4, label: { "zh-CN": "无或极轻微", en: "Minimal" } },
      { id: "mild", min: 5, max: 9, label: { "zh-CN": "轻度", en: "Mild" } },
      { id: "moderate", min: 10, max: 14, label: { "zh-CN": "中度", en: "Moderate" } },
      { id: "severe", min: 15, max: 21, label: { "zh-CN": "重度", en: "Severe" } },
    ],
  },
  licence: phqScreenersLicence,
  source: {
    citation:
      "Spitzer RL, Kroenke K, Williams JBW, Löwe B. A brief measure for assessing generalized anxiety disorder: the GAD-7. Arch Intern Med 2006;166(10):1092-1097. doi:10.1001/archinte.166.10.1092",
    url: "https://www.phqscreeners.com/images/sites/g/files/g10060481/f/201412/GAD-7_English.pdf",
  },
  chinese: {
    status: "not-validated",
    source: {
      citation:
        "Item wording agreed by independent public copies of the Pfizer Chinese (mainland China) GAD-7; option labels disputed between copies; stem and difficulty question borrowed from the PHQ-9 Chinese form. Not yet checked against 'GAD7_Simplified Chinese for Mainland China.pdf'. Chinese GAD-7 validations: He X et al. 2010, Shanghai Arch Psychiatry 22(4):200-203 (alpha 0.898); Sun J et al. 2021, Healthcare 9(12):1709. Per-line sources: docs/instruments.md.",
      url: "https://www.phqscreeners.com/select-screener",
    },
  },
});
