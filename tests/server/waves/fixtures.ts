/**
 * Builders for the waves tests: a school with classes, students and a signed-in school lead, and
 * small helpers to call the API the way the SPA does.
 */
import type { LightMyRequestResponse } from "fastify";
import type { TestServer } from "../../helpers/server";

export interface SchoolFixture {
  readonly schoolId: string;
  /** Class id by grade. */
  readonly classes: Record<number, string>;
  /** Student ids by grade. */
  readonly students: Record<number, string[]>;
  readonly lead: string;
  readonly headers: Record<string, string>;
}

/** A school with one class per grade in `grades`, `perClass` students in each, and its signed-in school lead. */
export async function aSchool(t: TestServer, opts: { grades?: number[]; perClass?: number; name?: string } = {}): Promise<SchoolFixture> {
  const schoolId = await t.seed.school(opts.name === undefined ? {} : { name: opts.name });
  const classes: Record<number, string> = {};
  const students: Record<number, string[]> = {};
  for (const grade of opts.grades ?? [8]) {
    const classId = await t.seed.klass(schoolId, grade, "1");
    classes[grade] = classId;
    students[grade] = [];
    for (let i = 0; i < (opts.perClass ?? 3); i++) students[grade].push(await t.seed.student(classId, { name: i === 0 ? "张小明" : `学生${grade}${i}` }));
  }
  const lead = await t.seed.account("school-lead", { schoolId });
  const { headers } = await t.signIn(lead);
  return { schoolId, classes, students, lead, headers };
}

/** Spring 2026: open from 1 March (the test clock starts on 2 March) to 20 March. */
export const SPRING = { schoolYear: "2025-2026", season: "spring", opensAt: "2026-03-01T00:00:00+08:00", closesAt: "2026-03-20T00:00:00+08:00" } as const;

export function post(t: TestServer, url: string, headers: Record<string, string>, payload?: unknown): Promise<LightMyRequestResponse> {
  return t.app.inject({ method: "POST", url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
}

export function get(t: TestServer, url: string, headers: Record<string, string>): Promise<LightMyRequestResponse> {
  return t.app.inject({ method: "GET", url, headers });
}

/** Creates a wave (spring 2025-2026 unless overridden) and returns its id. */
export async function aWave(t: TestServer, s: SchoolFixture, over: Record<string, unknown> = {}): Promise<string> {
  const res = await post(t, `/api/schools/${s.schoolId}/waves`, s.headers, { ...SPRING, ...over });
  if (res.statusCode !== 201) throw new Error(`wave not created: ${res.statusCode} ${res.body}`);
  return (res.json() as { id: string }).id;
}

/** Creates and opens a wave. */
export async function anOpenWave(t: TestServer, s: SchoolFixture, over: Record<string, unknown> = {}): Promise<string> {
  const id = await aWave(t, s, over);
  const res = await post(t, `/api/waves/${id}/open`, s.headers);
  if (res.statusCode !== 200) throw new Error(`wave not opened: ${res.statusCode} ${res.body}`);
  return id;
}

export interface IssuedSlip {
  studentId: string;
  classId: string;
  grade: number;
  classLabel: string;
  studentNo: string;
  maskedName: string;
  code: string;
}

/** Issues codes for the whole school and returns the slips. */
export async function issueCodes(t: TestServer, s: SchoolFixture, waveId: string, body: Record<string, unknown> = {}): Promise<IssuedSlip[]> {
  const res = await post(t, `/api/waves/${waveId}/codes`, s.headers, body);
  if (res.statusCode !== 200) throw new Error(`codes not issued: ${res.statusCode} ${res.body}`);
  return (res.json() as { issued: IssuedSlip[] }).issued;
}
