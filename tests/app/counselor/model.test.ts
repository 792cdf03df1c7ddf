import { describe, expect, it } from "vitest";
import { routeOf } from "../../../src/app/App";
import {
  alertStatus,
  canReleaseNotice,
  caseReasonFrom,
  caseTierFor,
  changeFilter,
  chimes,
  chinaDay,
  classesForGrade,
  classText,
  daysSinceText,
  deteriorationText,
  dueText,
  emptyStepForm,
  formatDateTime,
  gradesOf,
  KEY_POPULATION_LABEL,
  mergeAlerts,
  NO_FILTERS,
  observationLines,
  openAlerts,
  opensCaseByDefault,
  orderAlerts,
  orderCases,
  parseCounselorPath,
  reasonOptions,
  scoreText,
  stepBodyOf,
  stepChoices,
  timelineOf,
  todaysAlerts,
  upsertAlert,
  watchlistPath,
  type StepForm,
} from "../../../src/app/counselor/model";
import type { Alert } from "../../../src/shared/alerts";
import { StepBody, type CaseStep, type CaseSummary } from "../../../src/shared/cases";
import { KEY_POPULATION_HEADERS } from "../../../src/shared/roster";
import type { WatchlistEntry } from "../../../src/shared/watchlist";

const anAlert = (over: Partial<Alert> = {}): Alert => ({
  id: "a1",
  studentId: "s1",
  studentName: "张小明",
  class: { id: "c1", grade: 8, label: "3" },
  kind: "acute",
  source: "response",
  createdAt: "2026-03-02T00:00:00.000Z",
  acknowledgedAt: null,
  acknowledgedBy: null,
  escalatedAt: null,
  caseId: null,
  ...over,
});

const aCase = (over: Partial<CaseSummary> = {}): CaseSummary => ({
  id: "k1",
  studentId: "s1",
  studentName: "张小明",
  class: { id: "c1", grade: 8, label: "3" },
  tier: "red",
  state: "acknowledged",
  plan: null,
  assignee: { id: "u1", name: "王老师" },
  openedAt: "2026-03-01T00:00:00.000Z",
  dueAt: "2026-03-02T15:59:59.999Z",
  overdue: false,
  escalatedAt: null,
  closedAt: null,
  ...over,
});

const aStep = (over: Partial<CaseStep> = {}): CaseStep => ({
  id: "st1",
  seq: 1,
  kind: "open",
  at: "2026-03-02T00:00:00.000Z",
  by: { id: "u1", name: "王老师" },
  date: null,
  plan: null,
  greenChannel: null,
  dueDate: null,
  text: {},
  ...over,
});

const reason = (rule: string, tier: "red" | "orange" | "yellow", zh: string) => ({ rule, tier, label: { "zh-CN": zh, en: rule }, evidence: "" });

describe("counselor paths", () => {
  it.each([
    ["/counselor", { kind: "home" }],
    ["/counselor/", { kind: "home" }],
    ["/counselor/cases/abc-1", { kind: "case", id: "abc-1" }],
    ["/counselor/students/s_9", { kind: "student", id: "s_9" }],
    ["/counselor/cases", { kind: "not-found" }],
    ["/counselor/cases/a/b", { kind: "not-found" }],
    ["/counselor/other/x", { kind: "not-found" }],
    ["/counselor/cases/%3Cscript%3E", { kind: "not-found" }],
    ["/counselor/cases/%E0%A4%A", { kind: "not-found" }],
  ])("reads %s as %o", (path, expected) => {
    expect(parseCounselorPath(path)).toEqual(expected);
  });

  it("routes /counselor and everything under it to the counselor page", () => {
    expect(routeOf("/counselor").kind).toBe("counselor");
    expect(routeOf("/counselor/cases/x").kind).toBe("counselor");
    expect(routeOf("/counselors").kind).toBe("not-found");
  });
});

describe("times and names", () => {
  it("shows instants in China time, whatever the PC's zone", () => {
    expect(chinaDay("2026-03-01T16:00:00.000Z")).toBe("2026-03-02");
    expect(chinaDay("2026-03-01T15:59:59.999Z")).toBe("2026-03-01");
    expect(chinaDay("not a date")).toBeNull();
    expect(formatDateTime("2026-03-02T00:05:00.000Z")).toBe("2026-03-02 08:05");
    expect(formatDateTime("bad")).toBe("bad");
  });

  it("names numbered and named classes", () => {
    expect(classText({ grade: 8, label: "3" })).toBe("8年级3班");
    expect(classText({ grade: 10, label: "实验班" })).toBe("10年级 实验班");
  });

  it("labels every key-population category of the roster, in the roster's words", () => {
    expect(KEY_POPULATION_LABEL).toEqual(KEY_POPULATION_HEADERS);
  });
});

describe("watch-list filters", () => {
  it("asks the server only for the filters that are set", () => {
    expect(watchlistPath("s1", NO_FILTERS)).toBe("/api/schools/s1/watchlist");
    expect(watchlistPath("s1", { ...NO_FILTERS, grade: "8", tier: "red", key: "financialHardship" })).toBe("/api/schools/s1/watchlist?grade=8&tier=red&key=financialHardship");
    expect(watchlistPath("s 1", { ...NO_FILTERS, reason: "phq9-severe", classId: "c1" })).toBe("/api/schools/s%201/watchlist?classId=c1&reason=phq9-severe");
  });

  const classes = [
    { id: "c10", grade: 8, label: "10" },
    { id: "c2", grade: 8, label: "2" },
    { id: "c7", grade: 7, label: "1" },
  ];

  it("offers the grades and, for a grade, its classes in natural order", () => {
    expect(gradesOf(classes)).toEqual([7, 8]);
    expect(classesForGrade(classes, "8").map((c) => c.id)).toEqual(["c2", "c10"]);
    expect(classesForGrade(classes, "").map((c) => c.id)).toEqual(["c7", "c2", "c10"]);
  });

  it("clears a class of another grade when the grade changes, and keeps one of the same grade", () => {
    expect(changeFilter({ ...NO_FILTERS, classId: "c7" }, "grade", "8", classes)).toEqual({ ...NO_FILTERS, grade: "8" });
    expect(changeFilter({ ...NO_FILTERS, classId: "c2" }, "grade", "8", classes)).toEqual({ ...NO_FILTERS, grade: "8", classId: "c2" });
    expect(changeFilter({ ...NO_FILTERS, grade: "8", classId: "c2" }, "tier", "red", classes)).toEqual({ ...NO_FILTERS, grade: "8", classId: "c2", tier: "red" });
  });

  it("keeps every reason seen so far as a filter option, most serious tier first, labelled in Chinese", () => {
    const first = reasonOptions([], [{ reasons: [reason("phq9-moderate", "yellow", "抑郁症状（PHQ-9）中度"), reason("asq-positive", "red", "ASQ 阳性")] }]);
    expect(first).toEqual([
      { rule: "asq-positive", label: "ASQ 阳性" },
      { rule: "phq9-moderate", label: "抑郁症状（PHQ-9）中度" },
    ]);
    // A filtered list shows fewer reasons: the others stay available.
    const next = reasonOptions(first, [{ reasons: [reason("gad7-severe", "orange", "焦虑症状（GAD-7）重度")] }]);
    expect(next.map((o) => o.rule).sort()).toEqual(["asq-positive", "gad7-severe", "phq9-moderate"]);
    expect(next[0]!.rule).toBe("gad7-severe");
  });
});

describe("a watch-list entry", () => {
  it("says which instruments got reliably worse, with their scores", () => {
    const change = { phq9: { before: 8, after: 15, rci: 2.4, reliable: true, direction: "deteriorated" as const }, gad7: { before: 5, after: 4, rci: -0.2, reliable: false, direction: "no-reliable-change" as const } };
    expect(deteriorationText({ deteriorated: ["phq9"], change })).toBe("PHQ-9 8→15");
    expect(deteriorationText({ deteriorated: [], change })).toBeNull();
    expect(deteriorationText({ deteriorated: ["who5"], change })).toBe("WHO-5");
  });

  it.each([
    [null, "—"],
    [0, "今天 · today"],
    [1, "1 天 · 1 day"],
    [12, "12 天 · 12 days"],
  ])("shows %s days since flagged as %s", (days, text) => {
    expect(daysSinceText(days)).toBe(text);
  });

  it("opens red cases for red students and orange for everyone else; a notice only for yellow", () => {
    expect(caseTierFor("red")).toBe("red");
    expect(caseTierFor("orange")).toBe("orange");
    expect(caseTierFor("yellow")).toBe("orange");
    expect(canReleaseNotice({ tier: "yellow" })).toBe(true);
    expect(canReleaseNotice({ tier: "orange" })).toBe(false);
    expect(canReleaseNotice({ tier: "none" })).toBe(false);
  });

  it("prefills a case's reason with the entry's reasons in Chinese", () => {
    const entry: Pick<WatchlistEntry, "reasons"> = { reasons: [reason("a", "red", "甲"), reason("b", "orange", "乙")] };
    expect(caseReasonFrom(entry)).toBe("甲；乙");
  });

  it("lists an observation's answers and its free texts once each, as text", () => {
    expect(observationLines({ answers: { concerns: ["low-mood", "withdrawn"], urgency: "soon", other: "<b>x</b>", skipped: null }, texts: { other: "<b>x</b>" } })).toEqual([
      { label: "concerns", value: "low-mood、withdrawn" },
      { label: "urgency", value: "soon" },
      { label: "other", value: "<b>x</b>" },
    ]);
  });
});

describe("alerts", () => {
  const waiting = anAlert({ id: "w", createdAt: "2026-03-02T01:00:00.000Z" });
  const escalated = anAlert({ id: "e", createdAt: "2026-03-01T23:00:00.000Z", escalatedAt: "2026-03-01T23:31:00.000Z" });
  const done = anAlert({ id: "d", createdAt: "2026-03-02T02:00:00.000Z", acknowledgedAt: "2026-03-02T02:05:00.000Z", acknowledgedBy: { id: "u1", name: "王老师" } });

  it("puts escalated alerts first, then waiting ones, then acknowledged, newest first within each", () => {
    expect(orderAlerts([done, waiting, escalated]).map((a) => a.id)).toEqual(["e", "w", "d"]);
    expect(alertStatus(escalated)).toBe("escalated");
    expect(alertStatus({ ...escalated, acknowledgedAt: "2026-03-02T00:00:00.000Z" })).toBe("acknowledged");
    expect(openAlerts([done, waiting, escalated]).map((a) => a.id)).toEqual(["e", "w"]);
  });

  it("never moves an alert back: a stale read cannot undo an acknowledgement the stream brought", () => {
    const acked = { ...waiting, acknowledgedAt: "2026-03-02T01:10:00.000Z", acknowledgedBy: { id: "u1", name: "王老师" } };
    const list = upsertAlert([waiting], acked);
    expect(list).toEqual([acked]);
    expect(upsertAlert(list, waiting)).toEqual([acked]);
    expect(mergeAlerts(list, [waiting, escalated]).map((a) => [a.id, alertStatus(a)])).toEqual([
      ["e", "escalated"],
      ["w", "acknowledged"],
    ]);
    expect(upsertAlert([waiting], { ...waiting, escalatedAt: "2026-03-02T01:31:00.000Z" }).map(alertStatus)).toEqual(["escalated"]);
  });

  it("shows today's alerts by the server's day in China time, and every alert still waiting whatever its day", () => {
    const old = anAlert({ id: "old", createdAt: "2026-02-20T01:00:00.000Z", acknowledgedAt: "2026-02-20T02:00:00.000Z" });
    const oldWaiting = anAlert({ id: "ow", createdAt: "2026-02-20T01:00:00.000Z" });
    const now = new Date("2026-03-02T03:00:00.000Z");
    expect(todaysAlerts([old, oldWaiting, done, escalated], now).map((a) => a.id)).toEqual(["e", "ow", "d"]);
  });

  it("sounds new and escalated alerts for counselors, and escalations for the school lead", () => {
    expect(chimes("counselor", "alert")).toBe(true);
    expect(chimes("counselor", "escalated")).toBe(true);
    expect(chimes("counselor", "acknowledged")).toBe(false);
    expect(chimes("school-lead", "alert")).toBe(false);
    expect(chimes("school-lead", "escalated")).toBe(true);
    expect(chimes("school-lead", "case-escalated")).toBe(true);
  });

  it("opens a case on acknowledging an acute alert by default for a counselor only", () => {
    expect(opensCaseByDefault({ kind: "acute" }, "counselor")).toBe(true);
    expect(opensCaseByDefault({ kind: "critical" }, "counselor")).toBe(false);
    expect(opensCaseByDefault({ kind: "acute" }, "school-lead")).toBe(false);
  });
});

describe("cases", () => {
  it("orders overdue cases first, then by due date with no due date last", () => {
    const cases = [
      aCase({ id: "none", dueAt: null }),
      aCase({ id: "late", dueAt: "2026-03-05T15:59:59.999Z" }),
      aCase({ id: "overdue", dueAt: "2026-03-06T15:59:59.999Z", overdue: true }),
      aCase({ id: "soon", dueAt: "2026-03-02T15:59:59.999Z" }),
    ];
    expect(orderCases(cases).map((c) => c.id)).toEqual(["overdue", "soon", "late", "none"]);
  });

  it("says when a case is due and whether it is overdue, in China dates", () => {
    expect(dueText(aCase())).toBe("截止 · Due 2026-03-02");
    expect(dueText(aCase({ overdue: true }))).toBe("已逾期 · Overdue（截止 2026-03-02）");
    expect(dueText(aCase({ dueAt: null }))).toBe("无截止日期 · No due date");
    expect(dueText(aCase({ state: "closed" }))).toBe("已结案 · Closed");
  });

  it("makes a timeline of the steps in order, with the notes verbatim (never HTML)", () => {
    const steps = [
      aStep({ id: "s3", seq: 3, kind: "referral", date: "2026-03-04", greenChannel: true, text: { hospital: "市精神卫生中心", outcome: "门诊" } }),
      aStep({ id: "s1", seq: 1, kind: "open" }),
      aStep({ id: "s2", seq: 2, kind: "interview", date: "2026-03-02", dueDate: "2026-03-03", text: { notes: "<img src=x onerror=alert(1)> 情绪低落" } }),
      aStep({ id: "s4", seq: 4, kind: "plan", plan: "referral", text: {} }),
      aStep({ id: "s5", seq: 5, kind: "return", date: "2026-04-01", text: { plan: "每周一次谈话" } }),
    ];
    const timeline = timelineOf(steps);
    expect(timeline.map((t) => t.title)).toEqual(["建档 · Opened", "约谈 · Interview", "转介 · Referral", "方案 · Plan", "复学 · Return to school"]);
    expect(timeline[0]).toEqual({ id: "s1", title: "建档 · Opened", at: "2026-03-02 08:00", by: "王老师", details: [] });
    expect(timeline[1]!.details).toEqual([
      { label: "日期 · Date", value: "2026-03-02" },
      { label: "记录 · Notes", value: "<img src=x onerror=alert(1)> 情绪低落" },
      { label: "下一步截止 · Next step due", value: "2026-03-03" },
    ]);
    expect(timeline[2]!.details).toEqual([
      { label: "日期 · Date", value: "2026-03-04" },
      { label: "绿色通道 · Green channel", value: "是 · yes" },
      { label: "医院 · Hospital", value: "市精神卫生中心" },
      { label: "结果 · Outcome", value: "门诊" },
    ]);
    expect(timeline[3]!.details).toEqual([{ label: "方案 · Plan", value: "转介 · Referral" }]);
    expect(timeline[4]!.details).toEqual([
      { label: "日期 · Date", value: "2026-04-01" },
      { label: "复学计划 · Return plan", value: "每周一次谈话" },
    ]);
  });

  it("offers the allowed steps in the loop's order", () => {
    expect(stepChoices(["close", "follow-up", "referral", "return"])).toEqual(["referral", "follow-up", "return", "close"]);
    expect(stepChoices([])).toEqual([]);
  });
});

describe("case-step forms", () => {
  const form = (over: Partial<StepForm> = {}): StepForm => ({ ...emptyStepForm("2026-03-02"), ...over });

  it.each([
    ["acknowledge", form(), { kind: "acknowledge" }],
    ["interview", form({ notes: "谈了40分钟" }), { kind: "interview", date: "2026-03-02", notes: "谈了40分钟" }],
    ["interview", form({ notes: "x", dueDate: "2026-03-05" }), { kind: "interview", date: "2026-03-02", notes: "x", dueDate: "2026-03-05" }],
    ["plan", form({ plan: "consultation" }), { kind: "plan", plan: "consultation" }],
    ["plan", form({ plan: "referral", notes: "家长同意" }), { kind: "plan", plan: "referral", notes: "家长同意" }],
    ["referral", form({ hospital: " 市精神卫生中心 ", greenChannel: true }), { kind: "referral", hospital: "市精神卫生中心", date: "2026-03-02", greenChannel: true }],
    ["referral", form({ hospital: "市精神卫生中心", outcome: "已就诊" }), { kind: "referral", hospital: "市精神卫生中心", date: "2026-03-02", greenChannel: false, outcome: "已就诊" }],
    ["follow-up", form(), { kind: "follow-up", date: "2026-03-02" }],
    ["return", form({ returnPlan: "逐步复课" }), { kind: "return", date: "2026-03-02", plan: "逐步复课" }],
    ["close", form({ reason: "情况稳定", dueDate: "2026-03-09" }), { kind: "close", reason: "情况稳定" }],
  ] as const)("builds a %s step the server accepts", (kind, f, body) => {
    const built = stepBodyOf(kind, f);
    expect(built).toEqual({ ok: true, body });
    expect(StepBody.safeParse(built.ok && built.body).success).toBe(true);
  });

  it("names every missing or bad field instead of posting", () => {
    expect(stepBodyOf("interview", form({ date: "", notes: "  " }))).toEqual({
      ok: false,
      errors: [
        { field: "date", message: "请填写日期 · Enter a date" },
        { field: "notes", message: "请填写约谈记录 · Write the interview notes" },
      ],
    });
    expect(stepBodyOf("plan", form())).toMatchObject({ ok: false, errors: [{ field: "plan" }] });
    expect(stepBodyOf("referral", form({ date: "2026-02-30" }))).toMatchObject({ ok: false, errors: [{ field: "hospital" }, { field: "date" }] });
    expect(stepBodyOf("return", form({ dueDate: "3/5" }))).toMatchObject({ ok: false, errors: [{ field: "returnPlan" }, { field: "dueDate" }] });
    expect(stepBodyOf("close", form())).toMatchObject({ ok: false, errors: [{ field: "reason" }] });
  });
});

describe("growth record", () => {
  it("shows a score with its band, WHO-5 as a percentage, and what an incomplete one lacks", () => {
    expect(scoreText({ instrument: "phq9", kind: "scored", total: 15, band: "moderately-severe", percent: null, remarks: [] })).toBe("PHQ-9 15 分（moderately-severe）");
    expect(scoreText({ instrument: "who5", kind: "scored", total: 10, band: "likely-depression", percent: 40, remarks: [] })).toBe("WHO-5 40%（likely-depression）");
    expect(scoreText({ instrument: "gad7", kind: "incomplete", total: null, band: null, percent: null, remarks: ["q3"] })).toBe("GAD-7：未完成 · incomplete（q3）");
  });
});
