import { defineInstrument } from "./schema";

/** Option values of the "concerns" item, stable ids stored with each report. */
export const peerConcernValues = [
  "low-mood",
  "withdrawn",
  "self-harm-talk",
  "bullied-or-conflict",
  "sudden-change",
  "trouble-at-home",
] as const;

/**
 * The peer monitor's (心理委员) "I am worried about a classmate" report.
 *
 * Written by XinQing for the class peer-monitor system the district policies require (Wuhan education bureau
 * notice 2019: 夯实班级心理委员制度; the "温心健康" plan: 心理委员动态观察; Nanchang Donghu: 朋辈 as the fourth
 * level of the warning network). The classmate of concern is not an item: the server records who the report
 * is about. Low disclosure: the reporter ticks what they noticed, says how soon, and may add a note; they are
 * not asked to investigate. Every ticked concern marks the report as a concern; talk of death or self-harm is
 * critical and reaches a counselor at once.
 */
export const peerConcern = defineInstrument({
  id: "peer-concern",
  version: "1",
  title: { "zh-CN": "我有点担心一位同学", en: "I am worried about a classmate" },
  instructions: {
    "zh-CN":
      "谢谢你关心同学!只要写下你看到或听到的就可以,不需要去打听,也不需要自己解决问题。心理老师会认真看你的报告,并悄悄地关心这位同学。如果你觉得同学现在就有危险,请马上告诉身边的老师,不要等。",
    en: "Thank you for caring about your classmate! Just tell us what you saw or heard: you do not need to find out more or solve anything yourself. The school counselor will read your report and quietly check in with your classmate. If you think your classmate is in danger right now, tell a teacher near you straight away; do not wait.",
  },
  respondent: "peer",
  direction: "none",
  items: [
    {
      id: "concerns",
      type: "multi",
      text: { "zh-CN": "你注意到了什么？（可以多选）", en: "What have you noticed? (choose all that apply)" },
      options: [
        { value: "low-mood", label: { "zh-CN": "心情低落、不开心", en: "Seems low or unhappy" } },
        { value: "withdrawn", label: { "zh-CN": "不爱说话，总是一个人", en: "Keeps to themselves, seems alone" } },
        {
          value: "self-harm-talk",
          label: { "zh-CN": "说过想死或想伤害自己", en: "Talked about dying or hurting themselves" },
        },
        { value: "bullied-or-conflict", label: { "zh-CN": "被欺负，或和别人闹矛盾", en: "Being bullied, or in conflict with others" } },
        {
          value: "sudden-change",
          label: { "zh-CN": "行为或成绩突然变化很大", en: "Sudden big change in behaviour or grades" },
        },
        { value: "trouble-at-home", label: { "zh-CN": "家里好像遇到了困难", en: "Seems to have trouble at home" } },
      ],
      scored: false,
      concern: { anyOf: [...peerConcernValues] },
      critical: { anyOf: ["self-harm-talk"] },
    },
    {
      id: "urgency",
      type: "single",
      text: { "zh-CN": "你觉得需要多快让老师知道？", en: "How soon do you think a teacher should know?" },
      options: [
        { value: "can-wait", label: { "zh-CN": "可以过几天再说", en: "It can wait a few days" } },
        { value: "soon", label: { "zh-CN": "最好这一两天", en: "Soon, in a day or two" } },
        { value: "today", label: { "zh-CN": "今天就需要", en: "Today" } },
      ],
      scored: false,
    },
    {
      id: "note",
      type: "text",
      text: {
        "zh-CN": "还有想告诉心理老师的吗？（选填，写你看到或听到的就好）",
        en: "Anything else you would like the counselor to know? (optional; just what you saw or heard)",
      },
      scored: false,
      optional: true,
    },
  ],
  scoring: { method: "none" },
  licence: { kind: "own", terms: "Written by XinQing; free to use and adapt with the rest of XinQing." },
  source: {
    citation:
      "XinQing, from the class peer-monitor (心理委员) system of the district policies: Wuhan education bureau notice (2019) and the \"温心健康\" action plan 2022-2025",
  },
  chinese: { status: "own" },
});
