/**
 * Pure view-model helpers of the counselor's pages (/counselor, /counselor/students/:id,
 * /counselor/cases/:id): which sub-page a path is, how alerts, cases and watch-list entries are ordered
 * and named, the case-step forms turned into request bodies, and a case's timeline. No React and no
 * fetch here, so the tests call them directly.
 *
 * Times are shown in China time (Asia/Shanghai), the schools' time zone, whatever the PC's setting.
 */
import type { z } from "zod";
import type { Role } from "../../shared/api";
import type { AcknowledgeReply, Alert, StreamEventName } from "../../shared/alerts";
import type { CaseList, CasePlan, CaseState, CaseStep, CaseSummary, CaseTier, NoticeCreated, StepBody, StepKind } from "../../shared/cases";
import type { RecordScore } from "../../shared/archive";
import type { CaseFeedback, FeedbackAudience, FeedbackStep, SentFeedback } from "../../shared/feedback";
import type { ClassSummary } from "../../shared/schools";
import type { ObservationView, TierName, WatchlistEntry } from "../../shared/watchlist";

/** Reply bodies whose schemas export no type (types only: the SPA bundles no zod). */
export type AcknowledgeReplyBody = z.infer<typeof AcknowledgeReply>;
export type CaseListBody = z.infer<typeof CaseList>;
export type NoticeCreatedBody = z.infer<typeof NoticeCreated>;

// ---------------------------------------------------------------------------------------------
// Paths

export type CounselorPath = { readonly kind: "home" } | { readonly kind: "case"; readonly id: string } | { readonly kind: "student"; readonly id: string } | { readonly kind: "not-found" };

const ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The counselor sub-page of a path: /counselor, /counselor/cases/:id, /counselor/students/:id. */
export function parseCounselorPath(pathname: string): CounselorPath {
  const parts = pathname.replace(/\/+$/, "").split("/").filter(Boolean);
  if (parts[0] !== "counselor") return { kind: "not-found" };
  if (parts.length === 1) return { kind: "home" };
  if (parts.length !== 3) return { kind: "not-found" };
  let id: string;
  try {
    id = decodeURIComponent(parts[2]!);
  } catch {
    return { kind: "not-found" };
  }
  if (!ID.test(id)) return { kind: "not-found" };
  if (parts[1] === "cases") return { kind: "case", id };
  if (parts[1] === "students") return { kind: "student", id };
  return { kind: "not-found" };
}

export const casePath = (id: string): string => `/counselor/cases/${encodeURIComponent(id)}`;
export const studentPath = (id: string): string => `/counselor/students/${encodeURIComponent(id)}`;

// ---------------------------------------------------------------------------------------------
// Time (China time)

const CHINA_OFFSET_MS = 8 * 3_600_000;

/** The calendar day ("2026-03-02") of an instant in China time; null for a bad date. */
export function chinaDay(at: string | Date): string | null {
  const t = typeof at === "string" ? Date.parse(at) : at.getTime();
  if (Number.isNaN(t)) return null;
  return new Date(t + CHINA_OFFSET_MS).toISOString().slice(0, 10);
}

/** "2026-03-02 08:05" in China time; the input as is when it is not a date. */
export function formatDateTime(iso: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const s = new Date(t + CHINA_OFFSET_MS).toISOString();
  return `${s.slice(0, 10)} ${s.slice(11, 16)}`;
}

/** "8年级3班" for a numbered class, "8年级 实验班" for a named one. */
export function classText(c: { grade: number; label: string }): string {
  return /^[0-9]+$/.test(c.label) ? `${c.grade}年级${c.label}班` : `${c.grade}年级 ${c.label}`;
}

// ---------------------------------------------------------------------------------------------
// Tiers and labels

export const TIER_LABEL: Readonly<Record<TierName, string>> = {
  red: "红 · Red",
  orange: "橙 · Orange",
  yellow: "黄 · Yellow",
  none: "无 · None",
};

export const TIERS: readonly TierName[] = ["red", "orange", "yellow", "none"];

/** The key-population categories (七类重点学生 + 新生, 转学生), by the roster's keys. */
export const KEY_POPULATION_LABEL: Readonly<Record<string, string>> = {
  financialHardship: "家庭经济困难",
  learningDifficulty: "学习困难",
  majorChange: "思想行为成绩重大变化",
  leftBehindOrSingleParent: "留守或单亲",
  migrantWorkerChild: "进城务工人员子女",
  familyCrisis: "家庭重大变故",
  disability: "残疾",
  newStudent: "新生",
  transferStudent: "转学生",
};

export const keyPopulationText = (key: string): string => KEY_POPULATION_LABEL[key] ?? key;

export const INFORMANT_LABEL: Readonly<Record<string, string>> = {
  self: "学生本人 · self",
  homeroom: "班主任 · homeroom teacher",
  subject: "学科教师 · subject teacher",
  peer: "心理委员 · peer monitor",
  counselor: "心理教师 · counselor",
};

export const informantText = (role: string): string => INFORMANT_LABEL[role] ?? role;

const INSTRUMENT_NAME: Readonly<Record<string, string>> = {
  phq9: "PHQ-9",
  gad7: "GAD-7",
  who5: "WHO-5",
  asq: "ASQ",
  "psc17-teacher": "PSC-17（教师版）",
  "srss-ie": "SRSS-IE",
  "teacher-checklist": "教师观察清单 · teacher checklist",
  "peer-concern": "心理委员关注 · peer concern",
};

export const instrumentName = (id: string): string => INSTRUMENT_NAME[id] ?? id;

/** "PHQ-9 8→15、GAD-7 5→12": the instruments reliably worse than at the previous wave; null when none. */
export function deteriorationText(entry: Pick<WatchlistEntry, "deteriorated" | "change">): string | null {
  if (entry.deteriorated.length === 0) return null;
  return entry.deteriorated
    .map((id) => {
      const ch = entry.change[id];
      return ch ? `${instrumentName(id)} ${ch.before}→${ch.after}` : instrumentName(id);
    })
    .join("、");
}

/** "今天" / "3 天" / "—" (never flagged). */
export function daysSinceText(days: number | null): string {
  if (days === null) return "—";
  return days === 0 ? "今天 · today" : `${days} 天 · ${days} day${days === 1 ? "" : "s"}`;
}

export const MOVEMENT_LABEL: Readonly<Record<WatchlistEntry["movement"], string>> = {
  up: "↑ 升级 · up",
  down: "↓ 降级 · down",
  same: "持平 · same",
  new: "新增 · new",
};

// ---------------------------------------------------------------------------------------------
// Watch-list filters

export interface WatchFilters {
  readonly grade: string;
  readonly classId: string;
  readonly tier: string;
  readonly reason: string;
  readonly key: string;
}

export const NO_FILTERS: WatchFilters = { grade: "", classId: "", tier: "", reason: "", key: "" };

/** GET path of the school's watch list with the filters that are set (the server filters and ranks). */
export function watchlistPath(schoolId: string, filters: WatchFilters): string {
  const q = new URLSearchParams();
  if (filters.grade !== "") q.set("grade", filters.grade);
  if (filters.classId !== "") q.set("classId", filters.classId);
  if (filters.tier !== "") q.set("tier", filters.tier);
  if (filters.reason !== "") q.set("reason", filters.reason);
  if (filters.key !== "") q.set("key", filters.key);
  const query = q.toString();
  return `/api/schools/${encodeURIComponent(schoolId)}/watchlist${query === "" ? "" : `?${query}`}`;
}

/** The grades of the school's classes, ascending. */
export function gradesOf(classes: readonly Pick<ClassSummary, "grade">[]): number[] {
  return [...new Set(classes.map((c) => c.grade))].sort((a, b) => a - b);
}

/** The classes to offer for a grade filter (all when no grade), by grade then label. */
export function classesForGrade<C extends Pick<ClassSummary, "grade" | "label">>(classes: readonly C[], grade: string): C[] {
  return classes
    .filter((c) => grade === "" || String(c.grade) === grade)
    .sort((a, b) => a.grade - b.grade || a.label.localeCompare(b.label, "zh-CN", { numeric: true }));
}

/** A filter change: choosing another grade clears a class of a different grade. */
export function changeFilter(filters: WatchFilters, field: keyof WatchFilters, value: string, classes: readonly Pick<ClassSummary, "id" | "grade">[]): WatchFilters {
  const next = { ...filters, [field]: value };
  if (field === "grade" && value !== "" && next.classId !== "") {
    const c = classes.find((x) => x.id === next.classId);
    if (!c || String(c.grade) !== value) next.classId = "";
  }
  return next;
}

export interface ReasonOption {
  readonly rule: string;
  readonly label: string;
}

/**
 * The reasons a counselor can filter by: every rule seen so far on the list (a filtered list shows fewer,
 * so earlier ones are kept), labelled in plain Chinese, most serious tier first then by label.
 */
export function reasonOptions(known: readonly ReasonOption[], entries: readonly Pick<WatchlistEntry, "reasons">[]): ReasonOption[] {
  const byRule = new Map(known.map((o) => [o.rule, o]));
  const tierOf = new Map<string, TierName>();
  for (const e of entries) {
    for (const r of e.reasons) {
      byRule.set(r.rule, { rule: r.rule, label: r.label["zh-CN"] });
      tierOf.set(r.rule, r.tier);
    }
  }
  return [...byRule.values()].sort((a, b) => {
    const ta = TIERS.indexOf(tierOf.get(a.rule) ?? "none");
    const tb = TIERS.indexOf(tierOf.get(b.rule) ?? "none");
    return ta - tb || a.label.localeCompare(b.label, "zh-CN");
  });
}

// ---------------------------------------------------------------------------------------------
// A student's entry

/** Which tier a case opened from this entry gets: red stays red, anything else is orange. */
export const caseTierFor = (tier: TierName): CaseTier => (tier === "red" ? "red" : "orange");

/** A "please check in with" notice is for a yellow student (red and orange get a case). */
export const canReleaseNotice = (entry: Pick<WatchlistEntry, "tier">): boolean => entry.tier === "yellow";

/** The case's reason prefilled from the entry's reasons (the counselor edits it). */
export function caseReasonFrom(entry: Pick<WatchlistEntry, "reasons">): string {
  return entry.reasons.map((r) => r.label["zh-CN"]).join("；");
}

/** An observation's answers as label/value lines (the note and free texts stay plain text). */
export function observationLines(o: Pick<ObservationView, "answers" | "texts">): { label: string; value: string }[] {
  const lines: { label: string; value: string }[] = [];
  for (const [k, v] of Object.entries(o.answers)) {
    if (v === null || v === undefined || k in o.texts) continue;
    lines.push({ label: k, value: Array.isArray(v) ? v.map(String).join("、") : String(v) });
  }
  for (const [k, v] of Object.entries(o.texts)) lines.push({ label: k, value: v });
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Alerts

export const ALERT_KIND_LABEL: Readonly<Record<Alert["kind"], string>> = {
  acute: "急性危机 · acute",
  critical: "危机条目 · critical answer",
};

export const ALERT_SOURCE_LABEL: Readonly<Record<Alert["source"], string>> = {
  response: "筛查作答 · screening answer",
  observation: "教师或心理委员观察 · observation",
};

export type AlertStatus = "escalated" | "open" | "acknowledged";

export function alertStatus(a: Pick<Alert, "acknowledgedAt" | "escalatedAt">): AlertStatus {
  if (a.acknowledgedAt !== null) return "acknowledged";
  return a.escalatedAt !== null ? "escalated" : "open";
}

export const ALERT_STATUS_LABEL: Readonly<Record<AlertStatus, string>> = {
  escalated: "已超时，已上报学校负责人 · Escalated to the school lead",
  open: "待确认 · Not yet acknowledged",
  acknowledged: "已确认 · Acknowledged",
};

const STATUS_ORDER: Readonly<Record<AlertStatus, number>> = { escalated: 0, open: 1, acknowledged: 2 };

/** Escalated first, then waiting, then acknowledged; newest first within each. */
export function orderAlerts(alerts: readonly Alert[]): Alert[] {
  return [...alerts].sort((a, b) => STATUS_ORDER[alertStatus(a)] - STATUS_ORDER[alertStatus(b)] || b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id));
}

const PROGRESS: Readonly<Record<AlertStatus, number>> = { open: 0, escalated: 1, acknowledged: 2 };

/**
 * The list with `next` put in, in order. An alert only moves forward (waiting → escalated →
 * acknowledged): a list read that started before an event arrived cannot undo what the event said.
 */
export function upsertAlert(alerts: readonly Alert[], next: Alert): Alert[] {
  const current = alerts.find((a) => a.id === next.id);
  if (current && PROGRESS[alertStatus(current)] > PROGRESS[alertStatus(next)]) return orderAlerts(alerts);
  return orderAlerts([...alerts.filter((a) => a.id !== next.id), next]);
}

/** A fresh read of the list merged with what the page holds (see upsertAlert). */
export function mergeAlerts(current: readonly Alert[], fresh: readonly Alert[]): Alert[] {
  return fresh.reduce<Alert[]>((list, a) => upsertAlert(list, a), [...current]);
}

/** The alerts waiting for someone: the banner. */
export const openAlerts = (alerts: readonly Alert[]): Alert[] => orderAlerts(alerts.filter((a) => a.acknowledgedAt === null));

/**
 * Today's alerts (China time, by the server's clock): every alert still waiting, whatever its day, and
 * those raised or acknowledged today.
 */
export function todaysAlerts(alerts: readonly Alert[], now: Date): Alert[] {
  const today = chinaDay(now);
  return orderAlerts(alerts.filter((a) => a.acknowledgedAt === null || chinaDay(a.createdAt) === today || chinaDay(a.acknowledgedAt) === today));
}

/**
 * Whether a stream event sounds the chime: new and escalated alerts for counselors; for the school lead,
 * what reaches them as escalations (an alert nobody acknowledged, an overdue case).
 */
export function chimes(role: Role, event: StreamEventName): boolean {
  if (role === "school-lead") return event === "escalated" || event === "case-escalated";
  return event === "alert" || event === "escalated";
}

/**
 * Whether acknowledging opens a case unless the person says otherwise: the server's default (acute
 * alerts) for a counselor; never for the school lead, who assigns a counselor from the student's page.
 */
export const opensCaseByDefault = (alert: Pick<Alert, "kind">, role: Role): boolean => role === "counselor" && alert.kind === "acute";

// ---------------------------------------------------------------------------------------------
// Cases

export const CASE_TIER_LABEL: Readonly<Record<CaseTier, string>> = { red: "红 · Red", orange: "橙 · Orange" };

export const CASE_STATE_LABEL: Readonly<Record<CaseState, string>> = {
  opened: "待确认 · Opened",
  acknowledged: "已确认 · Acknowledged",
  interviewed: "已约谈 · Interviewed",
  planned: "已定方案 · Planned",
  referred: "已转介 · Referred",
  "following-up": "随访中 · Following up",
  returned: "已复学 · Returned to school",
  closed: "已结案 · Closed",
};

export const PLAN_LABEL: Readonly<Record<CasePlan, string>> = {
  monitor: "持续关注 · Monitor",
  "school-support": "校内支持 · School support",
  consultation: "会诊 · Consultation",
  referral: "转介 · Referral",
};

export const PLANS: readonly CasePlan[] = ["monitor", "school-support", "consultation", "referral"];

export const STEP_LABEL: Readonly<Record<CaseStep["kind"], string>> = {
  open: "建档 · Opened",
  acknowledge: "确认 · Acknowledged",
  interview: "约谈 · Interview",
  plan: "方案 · Plan",
  referral: "转介 · Referral",
  "follow-up": "随访 · Follow-up",
  return: "复学 · Return to school",
  close: "结案 · Closed",
};

/** Overdue first, then by due date (none last), then oldest first. */
export function orderCases<C extends Pick<CaseSummary, "id" | "overdue" | "dueAt" | "openedAt">>(cases: readonly C[]): C[] {
  return [...cases].sort((a, b) => {
    if (a.overdue !== b.overdue) return a.overdue ? -1 : 1;
    if (a.dueAt !== b.dueAt) {
      if (a.dueAt === null) return 1;
      if (b.dueAt === null) return -1;
      return a.dueAt.localeCompare(b.dueAt);
    }
    return a.openedAt.localeCompare(b.openedAt) || a.id.localeCompare(b.id);
  });
}

/** "已逾期 · 截止 2026-03-02" / "截止 2026-03-05" / "无截止 · no due date" / "已结案". */
export function dueText(c: Pick<CaseSummary, "dueAt" | "overdue" | "state">): string {
  if (c.state === "closed") return "已结案 · Closed";
  if (c.dueAt === null) return "无截止日期 · No due date";
  const day = chinaDay(c.dueAt) ?? c.dueAt;
  return c.overdue ? `已逾期 · Overdue（截止 ${day}）` : `截止 · Due ${day}`;
}

export interface TimelineItem {
  readonly id: string;
  readonly title: string;
  readonly at: string;
  readonly by: string;
  readonly details: readonly { readonly label: string; readonly value: string }[];
}

const TEXT_LABEL: Readonly<Record<string, string>> = {
  notes: "记录 · Notes",
  hospital: "医院 · Hospital",
  outcome: "结果 · Outcome",
  reason: "原因 · Reason",
  plan: "复学计划 · Return plan",
};

/** The steps of a case as the timeline shows them, oldest first. Text is returned as text, never HTML. */
export function timelineOf(steps: readonly CaseStep[]): TimelineItem[] {
  return [...steps]
    .sort((a, b) => a.seq - b.seq)
    .map((s) => {
      const details: { label: string; value: string }[] = [];
      if (s.date !== null) details.push({ label: "日期 · Date", value: s.date });
      if (s.plan !== null && s.kind === "plan") details.push({ label: "方案 · Plan", value: PLAN_LABEL[s.plan] });
      if (s.greenChannel !== null) details.push({ label: "绿色通道 · Green channel", value: s.greenChannel ? "是 · yes" : "否 · no" });
      for (const key of ["hospital", "notes", "outcome", "plan", "reason"]) {
        const v = s.text[key];
        if (v !== undefined) details.push({ label: TEXT_LABEL[key]!, value: v });
      }
      for (const [k, v] of Object.entries(s.text)) if (!(k in TEXT_LABEL)) details.push({ label: k, value: v });
      if (s.dueDate !== null) details.push({ label: "下一步截止 · Next step due", value: s.dueDate });
      return { id: s.id, title: STEP_LABEL[s.kind], at: formatDateTime(s.at), by: s.by.name, details };
    });
}

// ---------------------------------------------------------------------------------------------
// Case-step forms

/** What the step forms hold, as typed. */
export interface StepForm {
  readonly date: string;
  readonly notes: string;
  readonly plan: CasePlan | "";
  readonly hospital: string;
  readonly greenChannel: boolean;
  readonly outcome: string;
  readonly reason: string;
  readonly returnPlan: string;
  readonly dueDate: string;
}

export const emptyStepForm = (today: string): StepForm => ({ date: today, notes: "", plan: "", hospital: "", greenChannel: false, outcome: "", reason: "", returnPlan: "", dueDate: "" });

export interface FieldError {
  readonly field: keyof StepForm;
  readonly message: string;
}

export type StepBodyResult = { readonly ok: true; readonly body: StepBody } | { readonly ok: false; readonly errors: readonly FieldError[] };

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const isDay = (s: string): boolean => DAY.test(s) && new Date(`${s}T00:00:00Z`).toISOString().slice(0, 10) === s;

/** The request body of a step from its form, or what is missing (the same rules the server checks). */
export function stepBodyOf(kind: StepKind, form: StepForm): StepBodyResult {
  const errors: FieldError[] = [];
  const need = (field: keyof StepForm, value: string, message: string): string => {
    if (value.trim() === "") errors.push({ field, message });
    return value;
  };
  const day = (field: "date" | "dueDate", value: string, required: boolean): string | undefined => {
    if (value === "") {
      if (required) errors.push({ field, message: "请填写日期 · Enter a date" });
      return undefined;
    }
    if (!isDay(value)) errors.push({ field, message: "日期格式：2026-03-02 · A date like 2026-03-02" });
    return value;
  };
  const optional = (value: string): string | undefined => (value.trim() === "" ? undefined : value);
  let body: StepBody;
  switch (kind) {
    case "acknowledge":
      body = { kind };
      break;
    case "interview":
      body = { kind, date: day("date", form.date, true) ?? "", notes: need("notes", form.notes, "请填写约谈记录 · Write the interview notes") };
      break;
    case "plan": {
      if (form.plan === "") errors.push({ field: "plan", message: "请选择方案 · Choose a plan" });
      const notes = optional(form.notes);
      body = { kind, plan: (form.plan || "monitor") as CasePlan, ...(notes === undefined ? {} : { notes }) };
      break;
    }
    case "referral": {
      const outcome = optional(form.outcome);
      body = {
        kind,
        hospital: need("hospital", form.hospital.trim(), "请填写医院 · Name the hospital"),
        date: day("date", form.date, true) ?? "",
        greenChannel: form.greenChannel,
        ...(outcome === undefined ? {} : { outcome }),
      };
      break;
    }
    case "follow-up": {
      const notes = optional(form.notes);
      body = { kind, date: day("date", form.date, true) ?? "", ...(notes === undefined ? {} : { notes }) };
      break;
    }
    case "return":
      body = { kind, date: day("date", form.date, true) ?? "", plan: need("returnPlan", form.returnPlan, "请填写复学计划 · Write the return plan") };
      break;
    case "close":
      body = { kind, reason: need("reason", form.reason, "请填写结案原因 · Write why the case is closed") };
      break;
  }
  // Every step but acknowledging and closing may set when the next one is due.
  const due = kind === "close" || kind === "acknowledge" ? undefined : day("dueDate", form.dueDate, false);
  if (due !== undefined) body = { ...body, dueDate: due } as StepBody;
  return errors.length === 0 ? { ok: true, body } : { ok: false, errors };
}

/** The order the step forms are offered in (the server's `allowed` decides which appear). */
export const STEP_ORDER: readonly StepKind[] = ["acknowledge", "interview", "plan", "referral", "follow-up", "return", "close"];

/** The allowed steps in the form order. */
export const stepChoices = (allowed: readonly StepKind[]): StepKind[] => STEP_ORDER.filter((k) => allowed.includes(k));

// ---------------------------------------------------------------------------------------------
// Feedback (反馈) of case steps

/** The steps that have feedback templates, in case order (the server's templates, src/shared/feedback.ts). */
export const FEEDBACK_STEPS: readonly FeedbackStep[] = ["interview", "plan", "referral", "return", "close"];

export const FEEDBACK_STEP_LABEL: Readonly<Record<FeedbackStep, string>> = {
  interview: "约谈后 · After the interview",
  plan: "制定方案后 · After the plan",
  referral: "转介后 · After the referral",
  return: "复学时 · On return to school",
  close: "结案时 · On closing",
};

/** What sending means for each audience: the homeroom teacher gets it in XinQing; guardians are told by the counselor. */
export const FEEDBACK_ACTION: Readonly<Record<FeedbackAudience, { readonly to: string; readonly button: string; readonly question: string; readonly confirm: string; readonly done: string }>> = {
  homeroom: {
    to: "致班主任 · To the homeroom teacher",
    button: "发给班主任 · Send to the homeroom teacher",
    question: "确定将以上固定内容发给该生的班主任吗？发出后不能撤回。· Send the words above to the student's homeroom teacher? This cannot be undone.",
    confirm: "确认发送 · Send",
    done: "已发给班主任 · Sent to the homeroom teacher",
  },
  guardian: {
    to: "致家长 · To the guardians",
    button: "已告知家长 · Guardians told",
    question: "请在当面、电话或书面告知家长以上内容后再记录。确定记录为已告知家长吗？· Tell the guardians these words in person, by phone or on paper first. Record that they were told?",
    confirm: "确认记录 · Record",
    done: "已记录告知家长 · Recorded: guardians told",
  },
};

/** The step a message follows, as the API names it; null for a step this page does not know. */
export function feedbackStepOf(step: string): FeedbackStep | null {
  return (FEEDBACK_STEPS as readonly string[]).includes(step) ? (step as FeedbackStep) : null;
}

export interface FeedbackItem {
  readonly template: string;
  readonly audience: FeedbackAudience;
  readonly text: { readonly "zh-CN": string; readonly en: string };
  /** null: not sent yet (the case has reached its step, so it can be sent). */
  readonly sent: { readonly at: string; readonly by: string; readonly readAt: string | null } | null;
}

export interface FeedbackGroup {
  /** null: sent messages of a step this page does not know (shown last). */
  readonly step: FeedbackStep | null;
  readonly title: string;
  readonly items: readonly FeedbackItem[];
}

const AUDIENCE_ORDER: readonly FeedbackAudience[] = ["homeroom", "guardian"];

/**
 * The case's feedback as the page shows it: one group per step the case has reached, in case order; in
 * each, the homeroom message before the guardians'; every template once, sent or not.
 */
export function feedbackGroups(feedback: CaseFeedback): FeedbackGroup[] {
  const byTemplate = new Map<string, FeedbackItem & { readonly step: FeedbackStep | null }>();
  for (const a of feedback.available) {
    byTemplate.set(a.id, { template: a.id, step: feedbackStepOf(a.step), audience: a.audience, text: a.text, sent: null });
  }
  // What was sent wins over an "available" entry of the same template (a list read mid-send).
  for (const s of feedback.sent) {
    byTemplate.set(s.template, { template: s.template, step: feedbackStepOf(s.step), audience: s.audience, text: s.text, sent: { at: s.sentAt, by: s.sentBy.name, readAt: s.readAt } });
  }
  const rank = (step: FeedbackStep | null) => (step === null ? FEEDBACK_STEPS.length : FEEDBACK_STEPS.indexOf(step));
  const items = [...byTemplate.values()].sort(
    (a, b) => rank(a.step) - rank(b.step) || AUDIENCE_ORDER.indexOf(a.audience) - AUDIENCE_ORDER.indexOf(b.audience) || (a.sent?.at ?? "").localeCompare(b.sent?.at ?? "") || a.template.localeCompare(b.template),
  );
  const groups: { step: FeedbackStep | null; title: string; items: FeedbackItem[] }[] = [];
  for (const { step, ...item } of items) {
    let group = groups.at(-1);
    if (!group || group.step !== step) {
      group = { step, title: step === null ? "其他 · Other" : FEEDBACK_STEP_LABEL[step], items: [] };
      groups.push(group);
    }
    group.items.push(item);
  }
  return groups;
}

/** The list after the server answered a send: the message moves from available to sent. */
export function withSentFeedback(feedback: CaseFeedback, sent: SentFeedback): CaseFeedback {
  return { available: feedback.available.filter((a) => a.id !== sent.template), sent: [...feedback.sent.filter((s) => s.template !== sent.template), sent] };
}

/** "已发给班主任 · Sent to the homeroom teacher · 2026-03-02 08:05 · 王老师", and whether the teacher has read it. */
export function sentFeedbackLines(item: Pick<FeedbackItem, "audience" | "sent">): string[] {
  if (item.sent === null) return [];
  const lines = [`${FEEDBACK_ACTION[item.audience].done} · ${formatDateTime(item.sent.at)} · ${item.sent.by}`];
  if (item.audience === "homeroom") lines.push(item.sent.readAt === null ? "班主任尚未阅读 · Not read yet" : `班主任已阅读 · Read ${formatDateTime(item.sent.readAt)}`);
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Growth record (心理成长档案)

export const SEASON_LABEL: Readonly<Record<"spring" | "autumn", string>> = { spring: "春季 · spring", autumn: "秋季 · autumn" };

export const RESPONSE_STATUS_LABEL: Readonly<Record<"in-progress" | "submitted" | "declined", string>> = {
  "in-progress": "未完成 · in progress",
  submitted: "已提交 · submitted",
  declined: "已拒答 · declined",
};

export const CONSENT_LABEL: Readonly<Record<string, string>> = {
  consented: "同意 · consented",
  "opted-out": "拒绝参加 · opted out",
  opted_out: "拒绝参加 · opted out",
  pending: "待定 · pending",
};

export const consentText = (status: string): string => CONSENT_LABEL[status] ?? status;

/** "PHQ-9 15 分（moderately-severe）" / "WHO-5 40%（…）"; what was missing for an incomplete one. */
export function scoreText(s: Pick<RecordScore, "instrument" | "kind" | "total" | "band" | "percent" | "remarks">): string {
  const name = instrumentName(s.instrument);
  if (s.kind !== "scored") return `${name}：${s.kind === "incomplete" ? "未完成 · incomplete" : "无效 · invalid"}${s.remarks.length > 0 ? `（${s.remarks.join("；")}）` : ""}`;
  const value = s.percent !== null ? `${s.percent}%` : s.total !== null ? `${s.total} 分` : "—";
  return `${name} ${value}${s.band !== null ? `（${s.band}）` : ""}`;
}
