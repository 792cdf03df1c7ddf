import { phqScreenersLicence } from "./phq-screeners";
import { defineInstrument } from "./schema";

/**
 * Patient Health Questionnaire-9 (PHQ-9), student self-report, depression over the last two weeks.
 *
 * - Instrument, English wording, 0-3 options and the severity bands 5 / 10 / 15 / 20: Kroenke K, Spitzer RL,
 *   Williams JBW. The PHQ-9: validity of a brief depression severity measure. J Gen Intern Med
 *   2001;16(9):606-613, doi:10.1046/j.1525-1497.2001.016009606.x; official form "PHQ-9_English.pdf" on
 *   https://www.phqscreeners.com/select-screener.
 * - Item 9: the PHQ instruction manual asks for follow-up of any answer above 0 whatever the total, so q9
 *   is critical on 1, 2 and 3.
 * - The 10th "how difficult" question is on the form but is not part of the total (manual), so q10 is
 *   scored false and optional.
 * - Terms (phqscreeners.com): no permission required to reproduce, translate, display or distribute; keep the
 *   credit line; do not change items or options.
 * - Reliability of the Chinese version: Cronbach's alpha 0.86 (N = 1,045, Shanghai community; 2-week
 *   retest 0.86; recommended cut-off >= 7): Wang W et al. Reliability and validity of the Chinese version of
 *   the Patient Health Questionnaire (PHQ-9) in the general population. Gen Hosp Psychiatry 2014,
 *   doi:10.1016/j.genhosppsych.2014.05.021, PMID 25023953.
 * - Chinese wording: the publisher's "PHQ9_Simplified Chinese for Mainland China.pdf" could not be read here.
 *   The text below is the wording that independent public copies agree on (sources per line, see
 *   docs/instruments.md), so the status is "not-validated" until someone checks it word for word against
 *   that PDF and sets it to "official-translation".
 */
export const phq9 = defineInstrument({
  id: "phq9",
  version: "1",
  title: { "zh-CN": "患者健康问卷（PHQ-9）", en: "Patient Health Questionnaire (PHQ-9)" },
  // zh-CN stem: identical in two independent copies (github repository files stored as index ids
  // 44316612332 and 68885826860, see docs/instruments.md); not yet checked against the publisher's PDF.
  instructions: {
    "zh-CN": "在过去两个星期，有多少时候您受到以下任何问题所困扰？",
    en: "Over the last 2 weeks, how often have you been bothered by any of the following problems?",
  },
  respondent: "student",
  direction: "symptom",
  // zh-CN labels: identical in three independent repository copies (index ids 32799949887, 49390509716,
  // 49614503053) and the 2015 reprint at http://m.ewsos.com/lady/a/20150329/1067915-1.html.
  options: [
    { value: 0, label: { "zh-CN": "完全不会", en: "Not at all" } },
    { value: 1, label: { "zh-CN": "好几天", en: "Several days" } },
    { value: 2, label: { "zh-CN": "一半以上的天数", en: "More than half the days" } },
    { value: 3, label: { "zh-CN": "几乎每天", en: "Nearly every day" } },
  ],
  items: [
    // Items 1-5, 7 and 9: the same zh-CN wording in every copy found (e.g. index ids 44316612332,
    // 58516439596, 53992453874 and https://www.xiaomilidoc.com/p-11399331.html). Items 6 and 8: copy
    // 44316612332, whose dashes follow the English form; other copies use commas (see docs/instruments.md).
    // English: PHQ-9_English.pdf, as quoted word for word in index id 70232818953.
    {
      id: "q1",
      type: "single",
      text: { "zh-CN": "做事时提不起劲或没有兴趣", en: "Little interest or pleasure in doing things" },
    },
    {
      id: "q2",
      type: "single",
      text: { "zh-CN": "感到心情低落、沮丧或绝望", en: "Feeling down, depressed, or hopeless" },
    },
    {
      id: "q3",
      type: "single",
      text: { "zh-CN": "入睡困难、睡不安稳或睡眠过多", en: "Trouble falling or staying asleep, or sleeping too much" },
    },
    {
      id: "q4",
      type: "single",
      text: { "zh-CN": "感觉疲倦或没有活力", en: "Feeling tired or having little energy" },
    },
    {
      id: "q5",
      type: "single",
      text: { "zh-CN": "食欲不振或吃太多", en: "Poor appetite or overeating" },
    },
    {
      id: "q6",
      type: "single",
      text: {
        "zh-CN": "觉得自己很糟——或觉得自己很失败，或让自己或家人失望",
        en: "Feeling bad about yourself — or that you are a failure or have let yourself or your family down",
      },
    },
    {
      id: "q7",
      type: "single",
      text: {
        "zh-CN": "对事物专注有困难，例如阅读报纸或看电视时",
        en: "Trouble concentrating on things, such as reading the newspaper or watching television",
      },
    },
    {
      id: "q8",
      type: "single",
      text: {
        "zh-CN": "动作或说话速度缓慢到别人已经觉察？或正好相反——烦躁或坐立不安、动来动去的情况更胜于平常",
        en: "Moving or speaking so slowly that other people could have noticed? Or the opposite — being so fidgety or restless that you have been moving around a lot more than usual",
      },
    },
    {
      id: "q9",
      type: "single",
      text: {
        "zh-CN": "有不如死掉或用某种方式伤害自己的念头",
        en: "Thoughts that you would be better off dead or of hurting yourself in some way",
      },
      // PHQ-9 manual: item 9 > 0 needs follow-up whatever the total.
      critical: { anyOf: [1, 2, 3] },
    },
    {
      id: "q10",
      type: "single",
      // zh-CN question and labels: repository copy index id 66719589317 (the only copy found); English:
      // the official form as reprinted at https://www.omspace2u.com/psychological-test/depression-scale/.
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
      // PHQ-9 manual: the difficulty question is not counted in the score.
      scored: false,
      optional: true,
    },
  ],
  scoring: {
    method: "sum",
    missing: { allowed: 0, beyond: "incomplete" },
    // Kroenke et al. 2001: 5, 10, 15 and 20 mark mild, moderate, moderately severe and severe depression.
    bands: [
      { id: "minimal", min: 0, max: 4, label: { "zh-CN": "无或极轻微", en: "Minimal" } },
      { id: "mild", min: 5, max: 9, label: { "zh-CN": "轻度", en: "Mild" } },
      { id: "moderate", min: 10, max: 14, label: { "zh-CN": "中度", en: "Moderate" } },
      { id: "moderately-severe", min: 15, max: 19, label: { "zh-CN": "中重度", en: "Moderately severe" } },
      { id: "severe", min: 20, max: 27, label: { "zh-CN": "重度", en: "Severe" } },
    ],
  },
  reliability: {
    alpha: 0.86,
    source: {
      citation:
        "Wang W et al. Reliability and validity of the Chinese version of the Patient Health Questionnaire (PHQ-9) in the general population. Gen Hosp Psychiatry 2014. doi:10.1016/j.genhosppsych.2014.05.021. PMID 25023953.",
      url: "https://doi.org/10.1016/j.genhosppsych.2014.05.021",
    },
  },
  licence: phqScreenersLicence,
  source: {
    citation:
      "Kroenke K, Spitzer RL, Williams JBW. The PHQ-9: validity of a brief depression severity measure. J Gen Intern Med 2001;16(9):606-613. doi:10.1046/j.1525-1497.2001.016009606.x",
    url: "https://www.phqscreeners.com/images/sites/g/files/g10060481/f/201412/PHQ-9_English.pdf",
  },
  chinese: {
    status: "not-validated",
    source: {
      citation:
        "Wording agreed by independent public copies of the Pfizer Chinese (mainland China) PHQ-9; not yet checked word for word against the publisher's PDF 'PHQ9_Simplified Chinese for Mainland China.pdf'. The Chinese PHQ-9 itself is validated (Wang W et al. 2014, doi:10.1016/j.genhosppsych.2014.05.021). Per-line sources: docs/instruments.md.",
      url: "https://www.phqscreeners.com/select-screener",
    },
  },
});
