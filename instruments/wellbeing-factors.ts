import { defineInstrument, type Option } from "./schema";

const options = (labels: readonly [zh: string, en: string][], first = 0): Option[] =>
  labels.map(([zh, en], i) => ({ value: first + i, label: { "zh-CN": zh, en } }));

/**
 * Influencing factors of the district happiness index (幸福指数及其影响因素, "温心健康" action plan 2022-2025),
 * asked of students next to WHO-5. Each item is one single choice whose numeric values are ordered categories
 * (higher value = more of what the item names); nothing is summed.
 *
 * Sources of the wording and categories, item by item:
 * - "sleep": XinQing's wording; the cut-points at 8, 9 and 10 hours are the nightly sleep the Ministry of
 *   Education requires for senior, junior and primary students (教育部办公厅关于进一步加强中小学生睡眠管理工作的
 *   通知, 2021).
 * - "exercise": the HBSC / Prochaska 60-minute item (days in the past 7 with at least 60 minutes of physical
 *   activity; Prochaska JJ, Sallis JF, Long B. Arch Pediatr Adolesc Med 2001;155(5):554-559), matching the
 *   district's "阳光运动一小时". Chinese wording XinQing's.
 * - "screen-time": XinQing's categories in hours, in the style of the HBSC screen-time questions; the 2-hour
 *   cut-point is the recreational screen-time limit of the Chinese physical activity guidelines for children
 *   and adolescents (中国儿童青少年身体活动指南, 2018).
 * - "attention": an instructed-response item (not a factor): any answer other than "有时" fails the check.
 * - "friends": adapted from the HBSC close-friends question (none / one / two / three or more); wording
 *   XinQing's.
 * - "pressure": the HBSC schoolwork-pressure question (not at all / a little / some / a lot); Chinese
 *   wording XinQing's.
 * - "family": XinQing's own item.
 * None of these wordings has been validated in Chinese.
 */
export const wellbeingFactors = defineInstrument({
  id: "wellbeing-factors",
  version: "1",
  title: { "zh-CN": "我的日常生活", en: "My daily life" },
  instructions: {
    "zh-CN": "下面是一些关于你日常生活的问题，请按实际情况选择。",
    en: "These questions are about your daily life. Choose what is true for you.",
  },
  respondent: "student",
  direction: "none",
  items: [
    {
      id: "sleep",
      type: "single",
      text: {
        "zh-CN": "上学期间，你平时每晚大约睡多长时间？",
        en: "On school nights, about how long do you usually sleep?",
      },
      options: options([
        ["不到6小时", "Less than 6 hours"],
        ["6小时到不到7小时", "6 to less than 7 hours"],
        ["7小时到不到8小时", "7 to less than 8 hours"],
        ["8小时到不到9小时", "8 to less than 9 hours"],
        ["9小时到不到10小时", "9 to less than 10 hours"],
        ["10小时或更多", "10 hours or more"],
      ]),
      scored: false,
    },
    {
      id: "exercise",
      type: "single",
      text: {
        "zh-CN": "过去7天里，有几天你一天的运动（包括体育课、课间活动、玩耍和锻炼）加起来至少有60分钟？",
        en: "Over the past 7 days, on how many days were you physically active (PE, break-time activity, play and exercise) for a total of at least 60 minutes a day?",
      },
      options: options([
        ["0天", "0 days"],
        ["1天", "1 day"],
        ["2天", "2 days"],
        ["3天", "3 days"],
        ["4天", "4 days"],
        ["5天", "5 days"],
        ["6天", "6 days"],
        ["7天", "7 days"],
      ]),
      scored: false,
    },
    {
      id: "screen-time",
      type: "single",
      text: {
        "zh-CN": "上学的日子里，你平均每天花多长时间看电视、玩游戏、刷手机等娱乐（不算学习）？",
        en: "On school days, how much time a day do you spend on screens for fun (TV, games, phone), not counting study?",
      },
      options: options([
        ["基本没有", "Almost none"],
        ["不到1小时", "Less than 1 hour"],
        ["1小时到不到2小时", "1 to less than 2 hours"],
        ["2小时到不到3小时", "2 to less than 3 hours"],
        ["3小时到不到4小时", "3 to less than 4 hours"],
        ["4小时或更多", "4 hours or more"],
      ]),
      scored: false,
    },
    {
      id: "attention",
      type: "single",
      text: {
        "zh-CN": "为了确认你在认真阅读题目，本题请选择“有时”。",
        en: "To show you are reading carefully, please choose \"Sometimes\" for this question.",
      },
      options: options([
        ["从不", "Never"],
        ["有时", "Sometimes"],
        ["经常", "Often"],
        ["总是", "Always"],
      ]),
      scored: false,
      attention: { expected: 1 },
    },
    {
      id: "friends",
      type: "single",
      text: {
        "zh-CN": "你有几个可以说心里话的好朋友？",
        en: "How many close friends do you have whom you can really talk to?",
      },
      options: options([
        ["没有", "None"],
        ["1个", "One"],
        ["2个", "Two"],
        ["3个或更多", "Three or more"],
      ]),
      scored: false,
    },
    {
      id: "pressure",
      type: "single",
      text: { "zh-CN": "你觉得学业给你的压力有多大？", en: "How pressured do you feel by your schoolwork?" },
      options: options([
        ["完全没有", "Not at all"],
        ["有一点", "A little"],
        ["比较大", "Some"],
        ["很大", "A lot"],
      ]),
      scored: false,
    },
    {
      id: "family",
      type: "single",
      text: { "zh-CN": "总的来说，你和家人相处得怎么样？", en: "Overall, how well do you get on with your family?" },
      options: options([
        ["很不好", "Very badly"],
        ["不太好", "Not very well"],
        ["一般", "So-so"],
        ["比较好", "Quite well"],
        ["很好", "Very well"],
      ]),
      scored: false,
    },
  ],
  scoring: { method: "none" },
  licence: { kind: "own", terms: "Written by XinQing; free to use and adapt with the rest of XinQing." },
  source: {
    citation:
      "XinQing, for the happiness-index influencing factors of the \"温心健康\" action plan 2022-2025; categories after HBSC, Prochaska et al. 2001, the Ministry of Education sleep notice (2021) and the Chinese physical activity guidelines for children and adolescents (2018)",
  },
  chinese: { status: "own" },
});
