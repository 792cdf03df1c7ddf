/**
 * Pure helpers of the administration pages (/admin, for the district administrator and the school lead):
 * which sections a role gets, what the account form may offer, how an import's problems and result read,
 * a wave's dates and battery, code states, the consent file, and the audit log's filters.
 * No React and no fetch here, so the tests call them directly.
 *
 * A few rules of the server are mirrored for the form only (which roles an account manager may create,
 * which class relations a role may hold): the server checks every call again, and a stale mirror shows
 * as the server's error message, never as a wrong write.
 */
import type { AccountClass, AccountView, ClassRelation } from "../../shared/accounts";
import type { Role } from "../../shared/api";
import type { AuditEntry } from "../../shared/audit";
import type { RosterImportSummary } from "../../shared/roster";
import type { ConsentStatus, Season, SlipList, Wave } from "../../shared/waves";
import type { ApiFailure } from "../ui/api";
import { isolate } from "../ui/bidi";

// ───────────────────────────── sections ─────────────────────────────

export type SectionId = "schools" | "accounts" | "audit" | "roster" | "classes" | "waves" | "consent" | "codes";

export interface Section {
  readonly id: SectionId;
  readonly href: string;
  readonly label: string;
}

const SECTION_LABEL: Readonly<Record<SectionId, string>> = {
  schools: "学校 · Schools",
  accounts: "账号 · Accounts",
  audit: "审计日志 · Audit log",
  roster: "名单导入 · Roster",
  classes: "班级 · Classes",
  waves: "测评 · Waves",
  consent: "知情同意 · Consent",
  codes: "访问码 · Codes",
};

const SECTIONS_OF: Readonly<Partial<Record<Role, readonly SectionId[]>>> = {
  admin: ["schools", "accounts", "audit"],
  // In the order a school sets up a wave: students first, then the wave, consent and codes.
  "school-lead": ["roster", "classes", "waves", "consent", "codes", "accounts"],
};

/** The sections of /admin a role sees, in menu order (none for roles that may not open the page). */
export function sectionsOf(role: Role): Section[] {
  return (SECTIONS_OF[role] ?? []).map((id) => ({ id, href: `/admin/${id}`, label: SECTION_LABEL[id] }));
}

/** The section a path shows for a role: `/admin` shows the first; an unknown or foreign section is null. */
export function sectionOf(pathname: string, role: Role): SectionId | null {
  const rest = pathname.replace(/\/+$/, "").replace(/^\/admin/, "");
  const sections = sectionsOf(role);
  if (rest === "") return sections[0]?.id ?? null;
  return sections.find((s) => `/${s.id}` === rest)?.id ?? null;
}

// ───────────────────────────── accounts ─────────────────────────────

/** As the server's ASSIGNABLE_ROLES (auth/can.ts): whom an account manager may create. */
const ASSIGNABLE: Readonly<Partial<Record<Role, readonly Role[]>>> = {
  admin: ["school-lead", "counselor", "homeroom", "subject", "peer", "analyst", "admin"],
  "school-lead": ["counselor", "homeroom", "subject", "peer"],
};

/** The roles `manager` may create, most usual first. */
export function rolesAssignableBy(manager: Role): Role[] {
  return [...(ASSIGNABLE[manager] ?? [])];
}

/** District roles belong to no school; every other role to exactly one. */
export function needsSchool(role: Role): boolean {
  return role !== "admin" && role !== "analyst";
}

/** As the server's CLASS_RELATIONS (features/accounts/routes.ts): which class relations a role may hold. */
export function classRelationsOf(role: Role): ClassRelation[] {
  switch (role) {
    case "homeroom":
      return ["homeroom", "subject"];
    case "subject":
      return ["subject"];
    case "peer":
      return ["peer"];
    default:
      return [];
  }
}

export const RELATION_LABEL: Readonly<Record<ClassRelation, string>> = {
  homeroom: "班主任 · Homeroom",
  subject: "任课 · Teaches",
  peer: "心理委员 · Peer monitor",
};

/** The one-time set-up link of a new or reset account; the token stays in the fragment (never sent to a server). */
export function setupLink(origin: string, token: string): string {
  return `${origin}/setup#${token}`;
}

/** An account's state in one phrase. */
export function accountState(account: Pick<AccountView, "disabled" | "hasPassword">): string {
  if (account.disabled) return "已停用 · Disabled";
  return account.hasPassword ? "正常 · Active" : "待设置密码 · Set-up pending";
}

/** The classes with (`classId`, `relation`) added or removed; other entries and their order are kept. */
export function toggleClass(classes: readonly AccountClass[], classId: string, relation: ClassRelation, on: boolean): AccountClass[] {
  const rest = classes.filter((c) => !(c.classId === classId && c.relation === relation));
  return on ? [...rest, { classId, relation }] : rest;
}

/** Who is assigned to each class, by relation: the display name if set, else the username. */
export function staffByClass(accounts: readonly AccountView[]): Map<string, Record<ClassRelation, string[]>> {
  const byClass = new Map<string, Record<ClassRelation, string[]>>();
  for (const a of accounts) {
    if (a.disabled) continue;
    for (const c of a.classes) {
      const entry = byClass.get(c.classId) ?? { homeroom: [], subject: [], peer: [] };
      entry[c.relation].push(a.displayName ?? a.username);
      byClass.set(c.classId, entry);
    }
  }
  return byClass;
}

// ───────────────────────────── API failures ─────────────────────────────

/** One problem to show in a table: a file's line and column, or a form field (`where`), and what is wrong. */
export interface Problem {
  readonly line: number | null;
  readonly column: string | null;
  readonly message: string;
}

/**
 * Every problem an API failure names (a roster's rows carry line and column; a form's details a path),
 * or the failure's own message when it names none.
 */
export function problemsOf(failure: ApiFailure): Problem[] {
  if (failure.kind === "network") return [{ line: null, column: null, message: "网络连接失败，请重试。The network failed; try again." }];
  const details = failure.error.details ?? [];
  if (details.length === 0) return [{ line: null, column: null, message: failure.error.message }];
  return details.map((d) => ({
    line: d.line ?? null,
    column: d.column ?? (d.path === undefined ? null : fieldOfPath(d.path)),
    message: d.message,
  }));
}

/**
 * A problem's message split around the cell it quotes: the roster reader quotes a bad cell as `…：“cell”…`
 * (the words before and after are the server's), so the page can show the cell as an isolate and a bidi
 * control in it cannot reorder the words after it. Null when the message quotes nothing.
 */
export function quotedCell(message: string): { readonly before: string; readonly cell: string; readonly after: string } | null {
  const open = message.indexOf("“");
  const close = message.lastIndexOf("”");
  if (open === -1 || close < open) return null;
  return { before: message.slice(0, open + 1), cell: message.slice(open + 1, close), after: message.slice(close) };
}

/** "body.classes.1.classId" → "classes.1.classId": the form field, without where in the request it was. */
function fieldOfPath(path: string): string {
  return path.replace(/^(body|querystring|params)\.?/, "") || path;
}

// ───────────────────────────── roster ─────────────────────────────

const ENCODING_LABEL: Readonly<Record<RosterImportSummary["encoding"], string>> = {
  "utf-8": "UTF-8",
  "utf-8-bom": "UTF-8 (BOM)",
  gb18030: "GB18030 (Excel)",
  "utf-16le": "UTF-16 (Excel Unicode)",
};

/** What an import did (or, as a check, would do), one line per fact worth saying. */
export function rosterSummaryLines(s: RosterImportSummary): string[] {
  const verb = s.dryRun ? "将" : "已";
  const lines = [
    `${s.dryRun ? "检查通过，尚未导入" : "导入完成"}：${s.rows} 名学生（${ENCODING_LABEL[s.encoding]}，${s.delimiter === "tab" ? "制表符分隔" : "逗号分隔"}）· ${s.dryRun ? "Checked, nothing imported yet" : "Imported"}: ${s.rows} students`,
    `${verb}新增 ${s.created}，${verb}更新 ${s.updated}，无变化 ${s.unchanged} · created ${s.created}, updated ${s.updated}, unchanged ${s.unchanged}`,
  ];
  if (s.rejoined > 0) lines.push(`${s.rejoined} 名学生重新在册 · back on the roster: ${s.rejoined}`);
  if (s.left > 0) lines.push(`${s.left} 名学生不在新名单中，${verb}标记为离校（不删除）· marked as left, not deleted: ${s.left}`);
  if (s.classesCreated > 0) lines.push(`${verb}新建 ${s.classesCreated} 个班级 · classes created: ${s.classesCreated}`);
  if (s.consent !== null) {
    const c = s.consent;
    lines.push(`知情同意：同意 ${c.consented}，拒绝 ${c.optedOut}，待定 ${c.pending} · consent: ${c.consented} consented, ${c.optedOut} opted out, ${c.pending} pending`);
    if (c.waveIds.length === 0) lines.push("没有进行中的测评，知情同意未写入任何测评 · no open wave: consent was not written to any wave");
    else if (!s.dryRun) lines.push(`写入 ${c.written} 条知情同意，作废 ${c.codesRevoked} 个访问码 · ${c.written} consents written, ${c.codesRevoked} codes revoked`);
  }
  return lines;
}

// ───────────────────────────── waves ─────────────────────────────

/** The school year a date falls in: from August on, the year that starts then (2026-09 → "2026-2027"). */
export function defaultSchoolYear(now: Date): string {
  const y = now.getFullYear();
  return now.getMonth() >= 7 ? `${y}-${y + 1}` : `${y - 1}-${y}`;
}

/** The screening season of a date: February to July is the spring semester, the rest autumn. */
export function defaultSeason(now: Date): Season {
  const m = now.getMonth();
  return m >= 1 && m <= 6 ? "spring" : "autumn";
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** "+08:00" for 480 minutes east of UTC. */
function offsetText(minutes: number): string {
  const sign = minutes < 0 ? "-" : "+";
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

/** The start of a calendar day at a UTC offset, as the API's instant: ("2026-03-01", 480) → "2026-03-01T00:00:00+08:00". */
export function dayStart(day: string, offsetMinutes: number): string {
  return `${day}T00:00:00${offsetText(offsetMinutes)}`;
}

/** The calendar day after `day` ("2026-02-28" → "2026-03-01"). */
export function nextDay(day: string): string {
  const m = DAY.exec(day);
  if (!m) throw new Error(`not a day: ${day}`);
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + 1));
  return d.toISOString().slice(0, 10);
}

/** Is `day` a real calendar day (not 2026-02-30)? */
export function isDay(day: string): boolean {
  const m = DAY.exec(day);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === day;
}

/** The browser's UTC offset on a day, in minutes east (China: 480). */
export function localOffset(day: string): number {
  const m = DAY.exec(day);
  if (!m) return 0;
  return -new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])).getTimezoneOffset();
}

export interface WaveForm {
  readonly schoolYear: string;
  readonly season: Season;
  /** First day students may answer. */
  readonly opensOn: string;
  /** Last day students may answer (inclusive). */
  readonly lastDay: string;
}

export type WaveBody = { schoolYear: string; season: Season; opensAt: string; closesAt: string };

/**
 * The body of POST /api/schools/:id/waves from the form, or every problem of the form. The wave opens
 * at the start of its first day and closes at the start of the day after its last day, in the school's
 * time zone (`offsetOf` gives the UTC offset of a day: the browser's, which is the school's).
 */
export function waveBody(form: WaveForm, offsetOf: (day: string) => number): { ok: true; body: WaveBody } | { ok: false; problems: Problem[] } {
  const problems: Problem[] = [];
  const field = (column: string, message: string) => problems.push({ line: null, column, message });
  const year = /^(\d{4})-(\d{4})$/.exec(form.schoolYear);
  if (!year || Number(year[2]) !== Number(year[1]) + 1) field("schoolYear", "学年应为相邻两年，如 2025-2026 · a school year like 2025-2026");
  if (!isDay(form.opensOn)) field("opensOn", "请填写开始日期 · enter the first day");
  if (!isDay(form.lastDay)) field("lastDay", "请填写结束日期 · enter the last day");
  else if (isDay(form.opensOn) && form.lastDay < form.opensOn) field("lastDay", "结束日期不能早于开始日期 · the last day cannot be before the first");
  if (problems.length > 0) return { ok: false, problems };
  const closesOn = nextDay(form.lastDay);
  return {
    ok: true,
    body: { schoolYear: form.schoolYear, season: form.season, opensAt: dayStart(form.opensOn, offsetOf(form.opensOn)), closesAt: dayStart(closesOn, offsetOf(closesOn)) },
  };
}

/** The calendar day of an instant at a UTC offset: ("2026-02-28T16:00:00.000Z", 480) → "2026-03-01". */
export function dayAt(iso: string, offsetMinutes: number): string {
  return new Date(Date.parse(iso) + offsetMinutes * 60_000).toISOString().slice(0, 10);
}

/** "2026-03-02 08:05" for an instant at a UTC offset. */
export function timeAt(iso: string, offsetMinutes: number): string {
  const shifted = new Date(Date.parse(iso) + offsetMinutes * 60_000).toISOString();
  return `${shifted.slice(0, 10)} ${shifted.slice(11, 16)}`;
}

/** A wave's dates as the school reads them: first day to last day, both inclusive. */
export function waveDays(wave: Pick<Wave, "opensAt" | "closesAt">, offsetOf: (iso: string) => number): string {
  const lastMoment = new Date(Date.parse(wave.closesAt) - 1).toISOString();
  return `${dayAt(wave.opensAt, offsetOf(wave.opensAt))} – ${dayAt(lastMoment, offsetOf(lastMoment))}`;
}

/** The short names of the instruments, as printed on their forms. */
const INSTRUMENT_LABEL: Readonly<Record<string, string>> = {
  phq9: "PHQ-9",
  gad7: "GAD-7",
  who5: "WHO-5",
  asq: "ASQ",
  "wellbeing-factors": "幸福感因素 · Well-being factors",
  background: "背景信息 · Background",
  "psc17-teacher": "PSC-17（教师 · teacher）",
  "srss-ie": "SRSS-IE（教师 · teacher）",
};

export function instrumentLabel(id: string): string {
  return INSTRUMENT_LABEL[id] ?? id;
}

export interface BatteryRow {
  readonly band: string;
  readonly selfReport: string[];
  readonly teacher: string | null;
}

/** The battery of each grade band in the wave's season, lowest grades first, with readable names. */
export function batteryRows(wave: Pick<Wave, "season" | "batteries">): BatteryRow[] {
  return wave.batteries
    .filter((b) => b.season === wave.season)
    .sort((a, b) => a.grades.from - b.grades.from)
    .map((b) => ({
      band: b.grades.from === b.grades.to ? `${b.grades.from} 年级` : `${b.grades.from}–${b.grades.to} 年级`,
      selfReport: b.selfReport.map(instrumentLabel),
      teacher: b.teacher === null ? null : instrumentLabel(b.teacher),
    }));
}

/** What the school lead may do with a wave now. */
export function waveActions(wave: Pick<Wave, "status">): { open: boolean; close: boolean } {
  return { open: wave.status === "draft", close: wave.status === "open" };
}

// ───────────────────────────── codes ─────────────────────────────

export type CodeState = SlipList["slips"][number]["codeState"];
export type CodeRow = SlipList["slips"][number];

export const CODE_STATE_LABEL: Readonly<Record<CodeState, string>> = {
  active: "有效 · Active",
  used: "已使用 · Used",
  revoked: "已作废 · Revoked",
  none: "未发放 · None",
};

export const CONSENT_LABEL: Readonly<Record<ConsentStatus, string>> = {
  consented: "同意 · Consented",
  "opted-out": "拒绝 · Opted out",
  pending: "待定 · Pending",
};

/** How many students of a list are in each code state. */
export function codeCounts(rows: readonly Pick<CodeRow, "codeState">[]): Record<CodeState, number> {
  const counts: Record<CodeState, number> = { active: 0, used: 0, revoked: 0, none: 0 };
  for (const r of rows) counts[r.codeState]++;
  return counts;
}

/**
 * What may be done with a student's code: revoke an active one; issue a fresh one (revoking the old)
 * unless the student submitted or the guardian opted out, and only while the wave takes codes.
 */
export function codeActions(row: Pick<CodeRow, "codeState" | "consent">, wave: Pick<Wave, "status">): { revoke: boolean; reissue: boolean; reissueLabel: string } {
  const live = wave.status !== "closed";
  return {
    revoke: row.codeState === "active",
    reissue: live && row.codeState !== "used" && row.consent !== "opted-out",
    reissueLabel: row.codeState === "none" ? "发放 · Issue" : "重新发放 · Reissue",
  };
}

/** The rows with one student's code state changed; the others unchanged and in order. */
export function withCodeState<T extends Pick<CodeRow, "studentId" | "codeState">>(rows: readonly T[], studentId: string, codeState: CodeState): T[] {
  return rows.map((r) => (r.studentId === studentId ? { ...r, codeState } : r));
}

// ───────────────────────────── consent file ─────────────────────────────

/**
 * The text of a file as Excel in China writes it: UTF-8 with or without BOM, or GB18030 when the bytes
 * are not valid UTF-8.
 */
export function decodeTextFile(bytes: Uint8Array): string {
  const body = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(body);
  } catch {
    return new TextDecoder("gb18030").decode(bytes);
  }
}

/** Records of a CSV or tab-separated text, each with the physical line it starts on (1-based). */
export function readDelimited(text: string): { line: number; cells: string[] }[] {
  const firstLine = text.split(/\r\n|\r|\n/, 1)[0] ?? "";
  const delimiter = firstLine.includes("\t") && !firstLine.includes(",") ? "\t" : ",";
  const records: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cell = "";
  let quoted = false;
  let line = 1;
  let start = 1;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else {
        if (ch === "\n" || (ch === "\r" && text[i + 1] !== "\n")) line++;
        cell += ch;
      }
    } else if (ch === '"' && cell === "") quoted = true;
    else if (ch === delimiter) {
      cells.push(cell);
      cell = "";
    } else if (ch === "\r" || ch === "\n") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      records.push({ line: start, cells: [...cells, cell] });
      cells = [];
      cell = "";
      line++;
      start = line;
    } else cell += ch;
  }
  if (cell !== "" || cells.length > 0) records.push({ line: start, cells: [...cells, cell] });
  return records;
}

const CONSENT_VALUES: ReadonlyMap<string, ConsentStatus> = new Map([
  ["同意", "consented"],
  ["consented", "consented"],
  ["拒绝", "opted-out"],
  ["不同意", "opted-out"],
  ["opted-out", "opted-out"],
  ["opted_out", "opted-out"],
  ["待定", "pending"],
  ["pending", "pending"],
]);

const STUDENT_NO_HEADERS = new Set(["学号", "student_no", "studentno"]);
const CONSENT_HEADERS = new Set(["同意", "知情同意", "consent"]);

export type ConsentFileResult =
  | { readonly ok: true; readonly items: { studentId: string; status: ConsentStatus }[] }
  | { readonly ok: false; readonly problems: Problem[] };

/**
 * A guardian-consent file (columns 学号 and 同意; others are ignored) → the consents to set, matched by
 * student number against the school's students. All or nothing, like the roster: every bad row is named
 * with its line and column, and nothing is sent while any row is wrong. Blank rows are skipped.
 */
export function parseConsentFile(text: string, students: readonly { studentId: string; studentNo: string }[]): ConsentFileResult {
  const records = readDelimited(text).filter((r) => r.cells.some((c) => c.trim() !== ""));
  const header = records[0];
  if (header === undefined) return { ok: false, problems: [{ line: null, column: null, message: "文件为空 · The file is empty" }] };
  const norm = (h: string) => h.normalize("NFKC").trim().toLowerCase().replace(/\s+/g, "");
  const noCol = header.cells.findIndex((h) => STUDENT_NO_HEADERS.has(norm(h)));
  const consentCol = header.cells.findIndex((h) => CONSENT_HEADERS.has(norm(h)));
  const missing: Problem[] = [];
  if (noCol < 0) missing.push({ line: header.line, column: "学号", message: "缺少“学号”列 · no 学号 (student number) column" });
  if (consentCol < 0) missing.push({ line: header.line, column: "同意", message: "缺少“同意”列 · no 同意 (consent) column" });
  if (missing.length > 0) return { ok: false, problems: missing };
  const noHeader = header.cells[noCol]!.trim();
  const consentHeader = header.cells[consentCol]!.trim();
  const idOf = new Map(students.map((s) => [s.studentNo, s.studentId]));
  const firstLine = new Map<string, number>();
  const problems: Problem[] = [];
  const items: { studentId: string; status: ConsentStatus }[] = [];
  for (const { line, cells } of records.slice(1)) {
    const no = (cells[noCol] ?? "").trim();
    const value = (cells[consentCol] ?? "").trim();
    const status = value === "" ? "pending" : CONSENT_VALUES.get(value) ?? CONSENT_VALUES.get(value.toLowerCase());
    const studentId = idOf.get(no);
    if (no === "") problems.push({ line, column: noHeader, message: "学号为空 · no student number" });
    else if (studentId === undefined) problems.push({ line, column: noHeader, message: `本校在册学生中没有学号 ${isolate(no)} · no enrolled student with this number` });
    else if (firstLine.has(no)) problems.push({ line, column: noHeader, message: `学号 ${isolate(no)} 与第 ${firstLine.get(no)} 行重复 · duplicate of line ${firstLine.get(no)}` });
    if (status === undefined) problems.push({ line, column: consentHeader, message: `应填 同意/拒绝/待定：${isolate(value)} · expected 同意, 拒绝 or 待定` });
    if (no !== "" && !firstLine.has(no)) firstLine.set(no, line);
    if (studentId !== undefined && status !== undefined) items.push({ studentId, status });
  }
  if (problems.length > 0) return { ok: false, problems };
  if (items.length === 0) return { ok: false, problems: [{ line: null, column: null, message: "只有表头，没有学生 · header only, no students" }] };
  return { ok: true, items };
}

// ───────────────────────────── audit log ─────────────────────────────

export interface AuditFilters {
  /** An action ("code.revoke") or a family ("code."); empty for all. */
  readonly action: string;
  /** First day (inclusive), empty for no lower bound. */
  readonly fromDay: string;
  /** Last day (inclusive), empty for no upper bound. */
  readonly toDay: string;
}

/** Families of actions offered in the filter's suggestions. */
export const AUDIT_FAMILIES: readonly string[] = ["auth.", "account.", "audit.", "school.", "wave.", "consent.", "code.", "slips.", "student.", "watchlist.", "case.", "alert.", "notice."];

const ACTION = /^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?$/;

/** The filters' problems, each naming its field. */
export function auditFilterProblems(f: AuditFilters): Problem[] {
  const problems: Problem[] = [];
  const action = f.action.trim();
  if (action !== "" && !ACTION.test(action)) problems.push({ line: null, column: "action", message: "操作名如 code.revoke，或以点结尾的一类如 code. · an action like code.revoke, or a family like code." });
  if (f.fromDay !== "" && !isDay(f.fromDay)) problems.push({ line: null, column: "fromDay", message: "开始日期无效 · invalid first day" });
  if (f.toDay !== "" && !isDay(f.toDay)) problems.push({ line: null, column: "toDay", message: "结束日期无效 · invalid last day" });
  else if (f.toDay !== "" && f.fromDay !== "" && f.toDay < f.fromDay) problems.push({ line: null, column: "toDay", message: "结束日期不能早于开始日期 · the last day cannot be before the first" });
  return problems;
}

/** The query string of GET /api/audit for the filters (days in the browser's time zone) and an optional cursor. */
export function auditQuery(f: AuditFilters, offsetOf: (day: string) => number, before?: string): string {
  const params = new URLSearchParams();
  const action = f.action.trim();
  if (action !== "") params.set("action", action);
  if (f.fromDay !== "") params.set("from", dayStart(f.fromDay, offsetOf(f.fromDay)));
  if (f.toDay !== "") {
    const end = nextDay(f.toDay);
    params.set("to", dayStart(end, offsetOf(end)));
  }
  if (before !== undefined) params.set("before", before);
  const q = params.toString();
  return q === "" ? "" : `?${q}`;
}

/**
 * An entry's context as one line of `key=value` pairs (values as JSON, so text stays text). Each value is
 * an isolate: a value may hold typed text (a filter), whose bidi controls must not reorder the pairs after it.
 */
export function contextText(context: AuditEntry["context"]): string {
  return Object.entries(context)
    .map(([k, v]) => `${k}=${isolate(typeof v === "string" ? v : JSON.stringify(v))}`)
    .join(" ");
}

/** Who did it: the username of a staff actor, else the role and the id. */
export function actorText(e: Pick<AuditEntry, "actorUsername" | "actorRole" | "actorId">): string {
  if (e.actorUsername !== null) return `${e.actorUsername} (${e.actorRole})`;
  return e.actorId === null ? e.actorRole : `${e.actorRole} ${e.actorId}`;
}
