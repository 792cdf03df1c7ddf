/**
 * Pure helpers of the staff pages (sign-in and code slips): what an API failure says to the person, which
 * waves can get codes, how a class is named on a slip, and how a reissued slip replaces the old one.
 * No React and no fetch here, so the tests call them directly.
 */
import type { Role } from "../../shared/api";
import type { ClassSummary } from "../../shared/schools";
import type { CodeSlip, Wave } from "../../shared/waves";
import type { ApiFailure } from "../ui/api";
import { isolate } from "../ui/bidi";

export const NETWORK_MESSAGE = "网络连接失败，请重试。The network failed; try again.";

/** Each role's home page, where sign-in leads. */
export const HOME_OF: Readonly<Record<Role, string>> = {
  admin: "/admin",
  "school-lead": "/admin",
  counselor: "/counselor",
  homeroom: "/observe",
  subject: "/observe",
  peer: "/observe",
  analyst: "/analyst",
};

/** The role's name as staff read it. */
export const ROLE_LABEL: Readonly<Record<Role, string>> = {
  admin: "系统管理员 · Admin",
  analyst: "区教育局分析员 · District analyst",
  "school-lead": "学校负责人 · School lead",
  counselor: "心理教师 · Counselor",
  homeroom: "班主任 · Homeroom teacher",
  subject: "学科教师 · Subject teacher",
  peer: "心理委员 · Peer monitor",
};

/** A link of the staff header. */
export interface NavLink {
  readonly href: string;
  readonly label: string;
}

/**
 * The staff header's links for a role: only pages the role may open (the server checks every call anyway).
 * Peer monitors get no links at all: one form, nothing to browse.
 */
export function navOf(role: Role): NavLink[] {
  switch (role) {
    case "admin":
      return [{ href: "/admin", label: "管理 · Admin" }];
    case "school-lead":
      return [
        { href: "/admin", label: "学校管理 · School" },
        { href: "/staff/slips", label: "访问码 · Code slips" },
        { href: "/counselor", label: "预警与个案 · Alerts & cases" },
      ];
    case "counselor":
      return [{ href: "/counselor", label: "预警与个案 · Alerts & cases" }];
    case "homeroom":
    case "subject":
      return [{ href: "/observe", label: "观察记录 · Observations" }];
    case "peer":
      return [];
    case "analyst":
      return [{ href: "/analyst", label: "全区统计 · District figures" }];
  }
}

/** A window event a page fires when it learns that alerts changed (the header badge then asks again at once). */
export const ALERTS_CHANGED_EVENT = "xq-alerts-changed";

/** Roles that receive alerts and so see the unacknowledged-alert badge on every page. */
export function seesAlerts(role: Role): boolean {
  return role === "counselor" || role === "school-lead";
}

/** "14:05" in the browser's time zone (the lab PCs run in the school's). */
function clockTime(iso: string): string | null {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return null;
  return at.toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit", hour12: false });
}

/**
 * The sign-in error to show: the server's message, and for a lockout (429) the time to try again, from the
 * `retryAfter` detail (an instant) or else from the Retry-After seconds the caller may pass.
 */
export function loginErrorText(failure: ApiFailure, now: Date = new Date(), retryAfterSeconds?: number): string {
  if (failure.kind === "network") return NETWORK_MESSAGE;
  if (failure.status !== 429) return failure.error.message;
  const detail = failure.error.details?.find((d) => d.path === "retryAfter")?.message;
  const until = detail ?? (retryAfterSeconds === undefined ? undefined : new Date(now.getTime() + retryAfterSeconds * 1000).toISOString());
  const time = until === undefined ? null : clockTime(until);
  return time === null ? failure.error.message : `${failure.error.message}（请在 ${time} 之后再试 · Try again after ${time}）`;
}

/** Any other API failure, as one line. */
export function failureText(failure: ApiFailure): string {
  return failure.kind === "network" ? NETWORK_MESSAGE : failure.error.message;
}

/**
 * Waves that can get codes (draft or open), newest first. Not filtered by date: the browser's clock may
 * differ from the server's, which answers 409 `wave_closed` for a wave past its close.
 */
export function wavesForCodes(waves: readonly Wave[]): Wave[] {
  return waves.filter((w) => w.status === "draft" || w.status === "open").sort((a, b) => b.opensAt.localeCompare(a.opensAt));
}

const SEASON_ZH = { spring: "春季", autumn: "秋季" } as const;
const SEASON_EN = { spring: "spring", autumn: "autumn" } as const;
const STATUS = { draft: "草稿 draft", open: "进行中 open", closed: "已结束 closed" } as const;

/** "2025-2026 春季 spring · 进行中 open" */
export function waveLabel(wave: Pick<Wave, "schoolYear" | "season" | "status">): string {
  return `${wave.schoolYear} ${SEASON_ZH[wave.season]} ${SEASON_EN[wave.season]} · ${STATUS[wave.status]}`;
}

/** "8年级3班" for a numbered class, "8年级 实验班" for a named one. */
export function classLabel(c: { grade: number; label?: string; classLabel?: string }): string {
  const label = c.label ?? c.classLabel ?? "";
  return /^[0-9]+$/.test(label) ? `${c.grade}年级${label}班` : `${c.grade}年级 ${label}`;
}

/** A class in a picker with its head count; the label isolated, as a typed name may hold bidi controls. */
export function classOption(c: ClassSummary): string {
  return `${isolate(classLabel(c))}（${c.enrolled} 人）`;
}

/** The slips with the reissued student's slip replaced in place (other slips keep their order). */
export function replaceSlip(slips: readonly CodeSlip[], fresh: CodeSlip): CodeSlip[] {
  return slips.map((s) => (s.studentId === fresh.studentId ? fresh : s));
}

/** Why some students got no slip, one line per non-zero reason. */
export function skippedLines(skipped: { optedOut: number; alreadyActive: number; submitted: number; noSelfReport: number }): string[] {
  const lines: string[] = [];
  if (skipped.alreadyActive > 0) lines.push(`${skipped.alreadyActive} 名学生已有有效访问码（遗失请重新生成）· already have an active code (reissue a lost one)`);
  if (skipped.optedOut > 0) lines.push(`${skipped.optedOut} 名学生的监护人已拒绝参加 · opted out by a guardian`);
  if (skipped.submitted > 0) lines.push(`${skipped.submitted} 名学生已提交 · already submitted`);
  if (skipped.noSelfReport > 0) lines.push(`${skipped.noSelfReport} 名学生所在年级本次无自评问卷 · grade answers no self-report pages`);
  return lines;
}
