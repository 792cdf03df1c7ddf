/**
 * The synthetic demo district (`npm run demo`): 2 schools, 40 classes, 1,600 students with
 * obviously fake names (every given name starts with 演, "demo"), an account for every role, a
 * closed spring wave whose answers are scored with the real scoring library, and some teacher and
 * peer observations. Everything is written in one transaction with a few batched statements
 * (jsonb_to_recordset), and the database is marked as a demo database in `settings`.
 *
 * Only ever run on a database `checkDemoTarget` accepted: demo rows must never reach real data.
 */
import { defaultBatteries, batteryFor } from "../../../instruments/batteries";
import { getInstrument, instruments } from "../../../instruments/index";
import type { Instrument } from "../../../instruments/schema";
import { checkValidity, fuseStudent, policies, scoreBattery, summarizeObservation, type ObservationEvidence } from "../../../scoring/index";
import type { Role } from "../../shared/api";
import { hashPassword } from "../auth/passwords";
import { blindIndex, encrypt, type DataKeys } from "../crypto/cipher";
import type { Database, Queryable } from "../db/database";
import { raiseAlerts } from "../features/alerts/raise";
import { openCase } from "../features/cases/store";
import { criticalItemsOf, type CriticalItem } from "../features/responses/submit";
import { aRespondent, answerInstrument, normal, pageTimings, pick, seededRandom, type Random } from "./answers";

/** The settings row that marks a demo database, with what the demo printed at creation. */
export const DEMO_SETTING = "demo";

export interface DemoAccountLine {
  readonly role: Role;
  /** Some of the role's usernames (there may be many, e.g. one homeroom teacher per class). */
  readonly usernames: readonly string[];
  readonly count: number;
  /** The demo password of every account of this role (demo databases only). */
  readonly password: string;
}

export interface DemoMarker {
  readonly demo: true;
  readonly createdAt: string;
  readonly seed: number;
  readonly accounts: readonly DemoAccountLine[];
}

export interface DemoCounts {
  readonly schools: number;
  readonly classes: number;
  readonly students: number;
  readonly accounts: number;
  readonly responses: number;
  readonly results: number;
  readonly observations: number;
}

export interface DemoDeps {
  readonly db: Database;
  readonly keys: DataKeys;
  readonly now: () => Date;
  readonly newId: () => string;
  readonly randomBytes: (n: number) => Buffer;
}

const POLICY_VERSION = "default-v1";
const SURNAMES = [..."王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"];
const GIVEN = [..."晨乐宇欣涵轩怡浩琪博雨泽悦航佳睿萱然阳彤明思远安宁嘉诺一可子文"];

/** The schools and their grades and classes per grade: 27 + 13 = 40 classes of 40 students. */
const SCHOOLS = [
  { code: "DEMO-A", name: "心晴演示九年一贯制学校", short: "a", grades: [1, 2, 3, 4, 5, 6, 7, 8, 9].map((g) => ({ grade: g, classes: 3 })) },
  { code: "DEMO-B", name: "心晴演示高级中学", short: "b", grades: [{ grade: 10, classes: 5 }, { grade: 11, classes: 4 }, { grade: 12, classes: 4 }] },
] as const;
const CLASS_SIZE = 40;

/** The spring wave just past: March of this year once March is over, else of last year. */
export function demoWaveDates(now: Date): { schoolYear: string; opensAt: Date; closesAt: Date } {
  let year = now.getUTCFullYear();
  if (now.getTime() < Date.UTC(year, 2, 31)) year -= 1;
  // 08:00 and 18:00 China Standard Time (UTC+8)
  return { schoolYear: `${year - 1}-${year}`, opensAt: new Date(Date.UTC(year, 2, 2, 0)), closesAt: new Date(Date.UTC(year, 2, 20, 10)) };
}

type Row = Record<string, unknown>;

/** INSERT … SELECT FROM jsonb_to_recordset: one statement per 2,000 rows (STACK-NOTES: the cost is per statement). */
async function insertRows(q: Queryable, table: string, columns: Readonly<Record<string, string>>, rows: readonly Row[]): Promise<void> {
  const names = Object.keys(columns);
  const definition = names.map((n) => `${n} ${columns[n]}`).join(", ");
  for (let i = 0; i < rows.length; i += 2000) {
    const chunk = rows.slice(i, i + 2000).map((r) => Object.fromEntries(names.map((n) => [n, r[n] ?? null])));
    await q.query(`INSERT INTO ${table} (${names.join(", ")}) SELECT ${names.join(", ")} FROM jsonb_to_recordset($1::jsonb) AS x(${definition})`, [JSON.stringify(chunk)]);
  }
}

function fakeName(random: Random): string {
  return `${pick(random, SURNAMES)}演${pick(random, GIVEN)}`;
}

function demoPassword(randomBytes: (n: number) => Buffer): string {
  // 12 characters of base64url: 72 random bits, printed on the console for the demo only.
  return `demo-${randomBytes(9).toString("base64url")}`;
}

interface StudentRecord {
  id: string;
  schoolId: string;
  classId: string;
  grade: number;
  keyPopulation: string[];
}

/**
 * Fills an empty, migrated database with the demo district and marks it as a demo database.
 * Deterministic for a given `seed` except ids, passwords and ciphertexts.
 */
export async function buildDemoDistrict(deps: DemoDeps, seed = 20260302): Promise<{ marker: DemoMarker; counts: DemoCounts }> {
  const random = seededRandom(seed);
  const now = deps.now();
  const wave = demoWaveDates(now);
  const policy = policies.get(POLICY_VERSION);
  if (policy === undefined) throw new Error(`the demo needs tier policy ${POLICY_VERSION}`);
  const rolePasswords = new Map<Role, string>();
  const roleHashes = new Map<Role, string>();
  const roles: Role[] = ["admin", "analyst", "school-lead", "counselor", "homeroom", "subject", "peer"];
  for (const role of roles) {
    const password = demoPassword(deps.randomBytes);
    rolePasswords.set(role, password);
    // One scrypt hash per role, shared by that role's demo accounts: 7 hashes instead of ~100.
    roleHashes.set(role, await hashPassword(password, deps.randomBytes(16)));
  }
  const enc = (value: string, context: string): string => encrypt(deps.keys, value, context);

  const schools: Row[] = [];
  const classes: Row[] = [];
  const students: Row[] = [];
  const accounts: Row[] = [];
  const accountClasses: Row[] = [];
  const waves: Row[] = [];
  const consents: Row[] = [];
  const responses: Row[] = [];
  const results: Row[] = [];
  const observations: Row[] = [];
  const usernames = new Map<Role, string[]>();
  const keyPopulationOptions = (getInstrument("teacher-checklist")?.items.find((i) => i.id === "key-population")?.options ?? []).map((o) => String(o.value));

  const addAccount = (role: Role, username: string, displayName: string, schoolId: string | null, studentId: string | null = null): string => {
    const id = deps.newId();
    accounts.push({
      id,
      username,
      display_name_enc: enc(displayName, `accounts.display_name_enc:${id}`),
      password_hash: roleHashes.get(role),
      role,
      school_id: schoolId,
      student_id: studentId,
      password_changed_at: now.toISOString(),
      created_at: now.toISOString(),
    });
    usernames.set(role, [...(usernames.get(role) ?? []), username]);
    return id;
  };

  addAccount("admin", "demo-admin", "演示管理员", null);
  addAccount("analyst", "demo-analyst", "演示区教育局分析员", null);

  const classTeachers = new Map<string, { homeroom: string; peer: string | null }>();
  const studentRecords: StudentRecord[] = [];
  const counselors = new Map<string, string>();
  /** Submitted responses with a critical answer: they get alerts (and cases) once the rows are in. */
  const critical: { schoolId: string; studentId: string; responseId: string; items: CriticalItem[]; acute: boolean; tier: string }[] = [];
  for (const [schoolIndex, school] of SCHOOLS.entries()) {
    const schoolId = deps.newId();
    schools.push({ id: schoolId, code: school.code, name: school.name, created_at: now.toISOString() });
    addAccount("school-lead", `demo-${school.short}-lead`, `${pick(random, SURNAMES)}校长（演示）`, schoolId);
    counselors.set(schoolId, addAccount("counselor", `demo-${school.short}-counselor`, `${pick(random, SURNAMES)}老师（心理，演示）`, schoolId));
    const subjectId = addAccount("subject", `demo-${school.short}-subject`, `${pick(random, SURNAMES)}老师（学科，演示）`, schoolId);
    const subjectGrade = school.grades[school.grades.length - 1]?.grade ?? 1;
    for (const { grade, classes: perGrade } of school.grades) {
      for (let c = 1; c <= perGrade; c += 1) {
        const classId = deps.newId();
        classes.push({ id: classId, school_id: schoolId, grade, label: String(c) });
        const homeroom = addAccount("homeroom", `demo-${school.short}-g${grade}c${c}-homeroom`, `${pick(random, SURNAMES)}老师（班主任，演示）`, schoolId);
        accountClasses.push({ account_id: homeroom, class_id: classId, relation: "homeroom" });
        if (grade === subjectGrade) accountClasses.push({ account_id: subjectId, class_id: classId, relation: "subject" });
        let peer: string | null = null;
        for (let seat = 1; seat <= CLASS_SIZE; seat += 1) {
          const id = deps.newId();
          const studentNo = `D${schoolIndex + 1}${String(grade).padStart(2, "0")}${String(c).padStart(2, "0")}${String(seat).padStart(2, "0")}`;
          const name = fakeName(random);
          const keyPopulation = random() < 0.08 ? [pick(random, keyPopulationOptions)] : [];
          students.push({
            id,
            school_id: schoolId,
            class_id: classId,
            student_no_hash: blindIndex(deps.keys, studentNo, `student_no:${schoolId}`),
            student_no_enc: enc(studentNo, `students.student_no_enc:${id}`),
            name_enc: enc(name, `students.name_enc:${id}`),
            gender: random() < 0.5 ? "female" : "male",
            grade,
            birth_year: Number(wave.schoolYear.slice(0, 4)) - grade - 5,
            key_population: keyPopulation,
            created_at: now.toISOString(),
            updated_at: now.toISOString(),
          });
          studentRecords.push({ id, schoolId, classId, grade, keyPopulation });
          // 心理委员: seat 1 of each class from grade 4 up has a peer-monitor account of their own.
          if (seat === 1 && grade >= 4) {
            peer = addAccount("peer", `demo-${school.short}-g${grade}c${c}-peer`, `${name}（心理委员）`, schoolId, id);
            accountClasses.push({ account_id: peer, class_id: classId, relation: "peer" });
          }
        }
        classTeachers.set(classId, { homeroom, peer });
      }
    }
    waves.push({
      id: deps.newId(),
      school_id: schoolId,
      school_year: wave.schoolYear,
      season: "spring",
      opens_at: wave.opensAt.toISOString(),
      closes_at: wave.closesAt.toISOString(),
      batteries: defaultBatteries,
      policy_version: POLICY_VERSION,
      status: "closed",
      frozen_at: wave.opensAt.toISOString(),
      created_at: new Date(wave.opensAt.getTime() - 14 * 86_400_000).toISOString(),
    });
  }

  const waveOf = new Map(waves.map((w) => [w.school_id as string, w.id as string]));
  const span = wave.closesAt.getTime() - wave.opensAt.getTime() - 86_400_000;
  const checklist = getInstrument("teacher-checklist");
  const peerForm = getInstrument("peer-concern");
  for (const s of studentRecords) {
    const waveId = waveOf.get(s.schoolId) as string;
    const at = new Date(wave.opensAt.getTime() + Math.floor(random() * span));
    const who = aRespondent(random);
    const r = random();
    const consent = r < 0.02 ? "opted-out" : r < 0.04 ? "pending" : "consented";
    consents.push({ wave_id: waveId, student_id: s.id, status: consent, source: "school", updated_at: wave.opensAt.toISOString(), updated_by: null });

    // Observations: a homeroom checklist for some students (more often the more distressed), a few peer reports.
    const teachers = classTeachers.get(s.classId);
    const evidence: ObservationEvidence[] = [];
    const level = s.grade <= 6 ? ("primary" as const) : ("secondary" as const);
    if (checklist && teachers && random() < (who.distress > 1.3 ? 0.35 : 0.03)) {
      const signs = ["major-change", "frequent-absence", "conflict", "family-loss-or-crisis"].filter(() => random() < 0.3);
      if (who.distress > 2 && random() < 0.15) signs.push("self-harm");
      const answers = { signs: signs.length > 0 ? signs : ["conflict"], "key-population": s.keyPopulation };
      const id = deps.newId();
      observations.push({ id, school_id: s.schoolId, student_id: s.id, author_id: teachers.homeroom, role: "homeroom", instrument: checklist.id, answers, note_enc: null, score: null, created_at: at.toISOString() });
      evidence.push(summarizeObservation(checklist, answers, { role: "homeroom", id: teachers.homeroom }, at, { level }));
    }
    if (peerForm && teachers?.peer && random() < (who.distress > 1.5 ? 0.2 : 0.005)) {
      const concerns = ["low-mood", "withdrawn", "bullied-or-conflict", "sudden-change", "trouble-at-home"].filter(() => random() < 0.35);
      const answers = { concerns: concerns.length > 0 ? concerns : ["low-mood"], urgency: who.distress > 2 ? "soon" : "can-wait" };
      const id = deps.newId();
      observations.push({ id, school_id: s.schoolId, student_id: s.id, author_id: teachers.peer, role: "peer", instrument: peerForm.id, answers, note_enc: null, score: null, created_at: at.toISOString() });
      evidence.push(summarizeObservation(peerForm, answers, { role: "peer", id: teachers.peer }, at, { level }));
    }

    const battery = batteryFor(s.grade, "spring", defaultBatteries);
    if (!battery || battery.selfReport.length === 0 || consent !== "consented") continue;
    const absent = random();
    if (absent < 0.03) continue; // did not take part (absent that week)
    const id = deps.newId();
    if (absent < 0.04) {
      responses.push({ id, wave_id: waveId, student_id: s.id, battery_id: battery.id, status: "declined", answers: {}, pages: [], current_page: 0, started_at: at.toISOString(), updated_at: at.toISOString(), submitted_at: null });
      continue;
    }
    const forms = battery.selfReport.map((i) => getInstrument(i)).filter((i): i is Instrument => i !== undefined);
    const answers = Object.fromEntries(forms.map((inst) => [inst.id, answerInstrument(inst, who, random)]));
    const pages = pageTimings(forms, who, at.getTime(), random);
    const submittedAt = new Date(pages[pages.length - 1]?.endedAt ?? at.getTime());
    const scores = scoreBattery(forms, answers, { level });
    const validity = checkValidity(forms, answers, pages, policy.validity);
    const entry = fuseStudent(
      { studentId: s.id, current: { scores, validity, submittedAt }, previous: null, observations: evidence, keyPopulation: s.keyPopulation, openCase: null },
      { policy, instruments, changeReference: {} },
    );
    responses.push({
      id,
      wave_id: waveId,
      student_id: s.id,
      battery_id: battery.id,
      status: "submitted",
      answers,
      pages,
      current_page: forms.length - 1,
      started_at: at.toISOString(),
      updated_at: submittedAt.toISOString(),
      submitted_at: submittedAt.toISOString(),
    });
    results.push({ response_id: id, scores, validity, tier: entry.tier, reasons: entry.reasons, policy_version: entry.policyVersion, computed_at: submittedAt.toISOString() });
    const items = criticalItemsOf(scores);
    if (items.length > 0) critical.push({ schoolId: s.schoolId, studentId: s.id, responseId: id, items, acute: entry.acute, tier: entry.tier });
  }
  // Keep one draw so later additions to the generator do not shift everything above.
  normal(random);

  const accountLines: DemoAccountLine[] = roles.map((role) => {
    const names = usernames.get(role) ?? [];
    return { role, usernames: names.slice(0, 3), count: names.length, password: rolePasswords.get(role) as string };
  });
  const marker: DemoMarker = { demo: true, createdAt: now.toISOString(), seed, accounts: accountLines };

  await deps.db.transaction(async (tx) => {
    await insertRows(tx, "schools", { id: "text", code: "text", name: "text", created_at: "timestamptz" }, schools);
    await insertRows(tx, "classes", { id: "text", school_id: "text", grade: "smallint", label: "text" }, classes);
    await insertRows(
      tx,
      "students",
      { id: "text", school_id: "text", class_id: "text", student_no_hash: "text", student_no_enc: "text", name_enc: "text", gender: "text", grade: "smallint", birth_year: "smallint", key_population: "jsonb", created_at: "timestamptz", updated_at: "timestamptz" },
      students,
    );
    await insertRows(
      tx,
      "accounts",
      { id: "text", username: "text", display_name_enc: "text", password_hash: "text", role: "text", school_id: "text", student_id: "text", password_changed_at: "timestamptz", created_at: "timestamptz" },
      accounts,
    );
    await insertRows(tx, "account_classes", { account_id: "text", class_id: "text", relation: "text" }, accountClasses);
    await insertRows(
      tx,
      "waves",
      { id: "text", school_id: "text", school_year: "text", season: "text", opens_at: "timestamptz", closes_at: "timestamptz", batteries: "jsonb", policy_version: "text", status: "text", frozen_at: "timestamptz", created_at: "timestamptz" },
      waves,
    );
    await insertRows(tx, "consents", { wave_id: "text", student_id: "text", status: "text", source: "text", updated_at: "timestamptz", updated_by: "text" }, consents);
    await insertRows(
      tx,
      "responses",
      { id: "text", wave_id: "text", student_id: "text", battery_id: "text", status: "text", answers: "jsonb", pages: "jsonb", current_page: "integer", started_at: "timestamptz", updated_at: "timestamptz", submitted_at: "timestamptz" },
      responses,
    );
    await insertRows(tx, "results", { response_id: "text", scores: "jsonb", validity: "jsonb", tier: "text", reasons: "jsonb", policy_version: "text", computed_at: "timestamptz" }, results);
    await insertRows(
      tx,
      "observations",
      { id: "text", school_id: "text", student_id: "text", author_id: "text", role: "text", instrument: "text", answers: "jsonb", note_enc: "text", score: "jsonb", created_at: "timestamptz" },
      observations,
    );
    await addAlertsAndCases(tx, deps, critical, counselors);
    await tx.query("INSERT INTO settings (key, value) VALUES ($1, $2)", [DEMO_SETTING, JSON.stringify(marker)]);
    await tx.query("INSERT INTO settings (key, value) VALUES ('district.name', $1) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value", [JSON.stringify({ "zh-CN": "心晴演示区（虚构数据）", en: "XinQing demo district (synthetic data)" })]);
  });
  return {
    marker,
    counts: { schools: schools.length, classes: classes.length, students: students.length, accounts: accounts.length, responses: responses.length, results: results.length, observations: observations.length },
  };
}

/**
 * The counselors' side of the finished wave, made with the server's own functions: an alert for every
 * critical answer; all but the last two of each school acknowledged by the school's counselor, with a case
 * for the red and orange ones. The two left are for the newcomer to acknowledge (and, left alone for 30
 * minutes, they show the escalation to the school lead).
 */
async function addAlertsAndCases(
  tx: Queryable,
  deps: DemoDeps,
  critical: readonly { schoolId: string; studentId: string; responseId: string; items: CriticalItem[]; acute: boolean; tier: string }[],
  counselors: ReadonlyMap<string, string>,
): Promise<void> {
  const raised = await raiseAlerts(
    tx,
    deps,
    critical.map((c) => ({ schoolId: c.schoolId, studentId: c.studentId, source: "response" as const, sourceId: c.responseId, kind: c.acute ? ("acute" as const) : ("critical" as const), items: c.items })),
  );
  const left = new Map<string, number>();
  for (let i = critical.length - 1; i >= 0; i -= 1) {
    const c = critical[i]!;
    const waiting = left.get(c.schoolId) ?? 0;
    if (waiting < 2) {
      left.set(c.schoolId, waiting + 1);
      continue;
    }
    const counselor = counselors.get(c.schoolId)!;
    const alertId = raised[i]!.id;
    const now = deps.now();
    await tx.query("UPDATE alerts SET acknowledged_at = $2, acknowledged_by = $3 WHERE id = $1", [alertId, now, counselor]);
    if (c.tier !== "red" && c.tier !== "orange") continue;
    const caseId = await openCase(tx, deps, { schoolId: c.schoolId, studentId: c.studentId, tier: c.tier, reason: "筛查危机条目（演示）/ Critical answer in the screening (demo)", assignee: counselor, openedBy: counselor, flaggedAt: now, alertId, acknowledged: true });
    await tx.query("UPDATE alerts SET case_id = $2 WHERE id = $1", [alertId, caseId]);
  }
}

/** Why the demo refuses a database, or null when it may use it ("empty": fill it; "demo": reuse it). */
export type DemoTarget = { readonly kind: "empty" } | { readonly kind: "demo"; readonly marker: DemoMarker } | { readonly kind: "refused"; readonly reason: string };

/** Decides whether the demo may write into `db`: only an empty database or one marked as a demo. */
export async function checkDemoTarget(db: Queryable): Promise<DemoTarget> {
  const { rows: tables } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = current_schema()");
  if ((tables[0]?.n ?? 0) === 0) return { kind: "empty" };
  const { rows: hasSettings } = await db.query<{ ok: boolean }>("SELECT to_regclass('settings') IS NOT NULL AS ok");
  if (hasSettings[0]?.ok === true) {
    const { rows } = await db.query<{ value: DemoMarker }>("SELECT value FROM settings WHERE key = $1", [DEMO_SETTING]);
    const marker = rows[0]?.value;
    if (marker?.demo === true) return { kind: "demo", marker };
  }
  return { kind: "refused", reason: "it holds a database that is not marked as a demo database" };
}

/** The console lines listing the demo accounts and passwords. */
export function demoBanner(marker: DemoMarker, origin: string): string[] {
  const lines = ["", "XinQing 演示区 / demo district (虚构数据 synthetic data) — 演示账号 / demo accounts:"];
  for (const a of marker.accounts) {
    const more = a.count > a.usernames.length ? ` … (${a.count} accounts)` : "";
    lines.push(`  ${a.role.padEnd(12)} ${a.usernames.join(", ")}${more}    password: ${a.password}`);
  }
  lines.push(`  staff sign in at ${origin}/login (每个角色进入自己的页面 / each role lands on its own pages); students use ${origin}/`, "");
  return lines;
}
