import { beforeAll, expect, it } from "vitest";
import type { PublishableTable } from "../../../scoring/index";
import type { AnalyticsTable, TableCell } from "../../../src/shared/analytics";
import { FOLLOW_UP_VALUE_KEYS } from "../../../src/shared/analytics";
import { followUpStats } from "../../../src/server/features/analytics/queries";
import { describeEachDatabase } from "../../helpers/databases";
import { recoverable } from "../../helpers/disclosure";
import { startTestServer, type TestServer } from "../../helpers/server";

/**
 * Case follow-up per school, on a district worked out by hand. Now = 2026-03-20T00:00Z.
 *
 * School A01 has waves 2025-2026 autumn (opens 2025-09-01), 2025-2026 spring (opens 2026-03-01T00:00Z)
 * and 2026-2027 autumn (opens 2026-09-01T00:00Z): the spring period is [2026-03-01, 2026-09-01).
 * School C03 has the spring wave only (period open-ended); school B02 only 2026-2027 autumn.
 *
 * spring 2025-2026
 *   A01 alerts: 18 acknowledged the same China day (one raised exactly at the opening; one raised
 *     17:00Z = 01:00 China and acknowledged 01:00Z the next UTC day, same China day), 12 not (9 the next
 *     day, one raised 23:30 China and acknowledged 00:30 China, the same UTC day; 2 never). Outside the
 *     period: one raised a minute before the opening, one raised at the next wave's opening.
 *     → 30 alerts, 18 same day, 0.6 [0.42320, 0.75410] (Wilson, z = 1.96)
 *   A01 cases: 10 closed, 10 open due on 03-25, 10 open due 03-10 (overdue); one more opened on 02-25
 *     (autumn period, overdue) not counted. First interviews, days after opening:
 *     0 (opened 20:00Z = 04:00 China on 03-03, interviewed 03-03), 0, 1 (interviewed again on day 9),
 *     1, 1, 2, 2, 3, 3, 4, 5, 8 → 12 interviewed, median 2
 *   C03 alerts: 10 same day, 10 two days later → 20, 10, 0.5 [0.29929, 0.70071]
 *   C03 cases: 10 closed, 10 open, 10 overdue; interviews 1,1,1,1,1,2,4,4,4,4 → median 1.5
 *   district: 50 alerts, 28 same day, 0.56 [0.42306, 0.68838]; 60 cases, 20 closed, 20 overdue;
 *     22 interviews 0,0,1×8,2×3,3,3,4×5,5,8 → median (2 + 2) / 2 = 2
 * autumn 2026-2027
 *   A01: the one alert raised at the opening, acknowledged the same day; no case
 *   B02: 12 alerts all acknowledged the same day (a rate of 100 %); 5 cases, all interviewed (median over < k)
 */
describeEachDatabase("analytics: case follow-up per school", (getDb) => {
  let t: TestServer;
  let analyst: Record<string, string>;
  let seq = 0;
  const nextId = (prefix: string): string => `${prefix}-${(++seq).toString().padStart(5, "0")}`;

  const addWave = async (schoolId: string, schoolYear: string, season: "spring" | "autumn", opensAt: string): Promise<void> => {
    await t.db.query(
      `INSERT INTO waves (id, school_id, school_year, season, opens_at, closes_at, batteries, policy_version, status, frozen_at)
       VALUES ($1, $2, $3, $4, $5, $5::timestamptz + interval '30 days', '[]', 'default-v1', 'open', $5)`,
      [nextId("wave"), schoolId, schoolYear, season, opensAt],
    );
  };

  interface Fixture {
    readonly schoolId: string;
    readonly classId: string;
    readonly counselor: string;
  }

  const aSchool = async (code: string, name: string): Promise<Fixture> => {
    const schoolId = await t.seed.school({ code, name });
    const classId = await t.seed.klass(schoolId, 8);
    const counselor = await t.seed.account("counselor", { schoolId });
    return { schoolId, classId, counselor };
  };

  const addAlerts = async (s: Fixture, count: number, createdAt: string, acknowledgedAt: string | null): Promise<void> => {
    const studentId = await t.seed.student(s.classId);
    for (let i = 0; i < count; i++) {
      await t.db.query(
        `INSERT INTO alerts (id, school_id, student_id, source, source_id, kind, created_at, acknowledged_at, acknowledged_by)
         VALUES ($1, $2, $3, 'observation', $1, 'critical', $4, $5, $6)`,
        [nextId("alert"), s.schoolId, studentId, createdAt, acknowledgedAt, acknowledgedAt === null ? null : s.counselor],
      );
    }
  };

  /** One case per new student; `interviews` are the dates of its interview steps, in order. */
  const addCase = async (s: Fixture, c: { openedAt: string; state: string; dueAt: string | null; interviews?: string[] }): Promise<void> => {
    const id = nextId("case");
    const studentId = await t.seed.student(s.classId);
    await t.db.query(
      `INSERT INTO cases (id, school_id, student_id, tier, reason_enc, state, assigned_to, opened_by, opened_at, due_at, closed_at, policy_version, updated_at)
       VALUES ($1, $2, $3, 'red', 'x', $4, $5, $5, $6, $7, $8, 'default-v1', $6)`,
      [id, s.schoolId, studentId, c.state, s.counselor, c.openedAt, c.dueAt, c.state === "closed" ? "2026-03-15T00:00:00Z" : null],
    );
    const steps: [string, Record<string, unknown>][] = [["open", {}], ...(c.interviews ?? []).map((date): [string, Record<string, unknown>] => ["interview", { date, dueDate: null }])];
    for (const [i, [kind, data]] of steps.entries()) {
      await t.db.query("INSERT INTO case_steps (id, case_id, seq, kind, at, by_account, data) VALUES ($1, $2, $3, $4, $5, $6, $7)", [
        nextId("step"),
        id,
        i + 1,
        kind,
        c.openedAt,
        s.counselor,
        JSON.stringify(data),
      ]);
    }
  };

  /** Cases opened 2026-03-02T02:00Z (China 03-02): `closed`, `open` (due 03-25) and `overdue` (due 03-10), the first ones interviewed `days` after. */
  const addCases = async (s: Fixture, state: "closed" | "open" | "overdue", count: number, days: readonly number[] = []): Promise<void> => {
    for (let i = 0; i < count; i++) {
      const d = days[i];
      await addCase(s, {
        openedAt: "2026-03-02T02:00:00Z",
        state: state === "closed" ? "closed" : state === "open" ? "interviewed" : "opened",
        dueAt: state === "closed" ? null : state === "open" ? "2026-03-25T15:59:59.999Z" : "2026-03-10T15:59:59.999Z",
        interviews: d === undefined ? [] : [`2026-03-${(2 + d).toString().padStart(2, "0")}`],
      });
    }
  };

  beforeAll(async () => {
    t = await startTestServer(getDb());
    t.clock.set("2026-03-20T00:00:00Z");
    analyst = (await t.signIn(await t.seed.account("analyst"))).headers;
    const a = await aSchool("A01", "第一中学");
    const b = await aSchool("B02", "第二中学");
    const c = await aSchool("C03", "第三中学");
    await addWave(a.schoolId, "2025-2026", "autumn", "2025-09-01T00:00:00Z");
    await addWave(a.schoolId, "2025-2026", "spring", "2026-03-01T00:00:00Z");
    await addWave(a.schoolId, "2026-2027", "autumn", "2026-09-01T00:00:00Z");
    await addWave(c.schoolId, "2025-2026", "spring", "2026-03-01T00:00:00Z");
    await addWave(b.schoolId, "2026-2027", "autumn", "2026-09-01T00:00:00Z");

    await addAlerts(a, 16, "2026-03-03T01:00:00Z", "2026-03-03T03:00:00Z");
    await addAlerts(a, 1, "2026-03-05T17:00:00Z", "2026-03-06T01:00:00Z");
    await addAlerts(a, 1, "2026-03-01T00:00:00Z", "2026-03-01T02:00:00Z");
    await addAlerts(a, 9, "2026-03-04T01:00:00Z", "2026-03-05T01:00:00Z");
    await addAlerts(a, 1, "2026-03-05T15:30:00Z", "2026-03-05T16:30:00Z");
    await addAlerts(a, 2, "2026-03-06T01:00:00Z", null);
    await addAlerts(a, 1, "2026-02-28T23:59:00Z", "2026-03-01T00:30:00Z");
    await addAlerts(a, 1, "2026-09-01T00:00:00Z", "2026-09-01T02:00:00Z");
    await addAlerts(c, 10, "2026-03-03T01:00:00Z", "2026-03-03T09:00:00Z");
    await addAlerts(c, 10, "2026-03-03T01:00:00Z", "2026-03-05T09:00:00Z");
    await addAlerts(b, 12, "2026-09-02T01:00:00Z", "2026-09-02T02:00:00Z");

    await addCase(a, { openedAt: "2026-03-02T20:00:00Z", state: "closed", dueAt: null, interviews: ["2026-03-03"] });
    await addCase(a, { openedAt: "2026-03-02T02:00:00Z", state: "closed", dueAt: null, interviews: ["2026-03-03", "2026-03-11"] });
    await addCases(a, "closed", 8, [0, 1, 1, 2, 2, 3, 3, 4]);
    await addCases(a, "open", 10, [5, 8]);
    await addCases(a, "overdue", 10);
    await addCase(a, { openedAt: "2026-02-25T02:00:00Z", state: "opened", dueAt: "2026-02-26T15:59:59.999Z" });
    await addCases(c, "closed", 10, [1, 1, 1, 1, 1, 2, 4, 4, 4, 4]);
    await addCases(c, "open", 10);
    await addCases(c, "overdue", 10);
    for (let i = 0; i < 5; i++) await addCase(b, { openedAt: "2026-09-02T02:00:00Z", state: "interviewed", dueAt: "2026-09-20T15:59:59.999Z", interviews: ["2026-09-03"] });
  });

  const get = async (url: string, headers = analyst) => t.app.inject({ method: "GET", url, headers });
  const table = async (wave: string): Promise<AnalyticsTable> => {
    const res = await get(`/api/analytics/follow-up?wave=${wave}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };
  /** The value cells of a row, by column key. */
  const values = (tbl: AnalyticsTable, label: string): Record<string, TableCell> => {
    const row = tbl.rows.find((r) => r[0] === label);
    if (!row) throw new Error(`no row ${label}`);
    return Object.fromEntries(tbl.columns.map((c, i) => [c.key, row[i] ?? null]));
  };

  it("has the school columns then the value columns of the shared contract", async () => {
    const tbl = await table("2025-2026:spring");
    expect(tbl.columns.map((c) => c.key)).toEqual(["school_code", "school", ...FOLLOW_UP_VALUE_KEYS]);
    expect(tbl.rows.map((r) => r[0])).toEqual(["A01", "C03", "全部 all"]);
    expect(tbl).toMatchObject({ id: "follow-up", wave: "2025-2026:spring", by: ["school"], k: 10 });
  });

  it("counts each school's alerts, same-day acknowledgements, cases and the median days to interview in the wave's period", async () => {
    const tbl = await table("2025-2026:spring");
    const a = values(tbl, "A01");
    expect(a).toMatchObject({ school: "第一中学", alerts_n: 30, same_day_n: 18, opened_n: 30, closed_n: 10, overdue_n: 10, median_days_to_interview: 2 });
    expect(a.same_day_rate).toBeCloseTo(0.6, 10);
    expect(a.same_day_lower).toBeCloseTo(0.4232005, 6);
    expect(a.same_day_upper).toBeCloseTo(0.7540961, 6);
    const c = values(tbl, "C03");
    expect(c).toMatchObject({ alerts_n: 20, same_day_n: 10, opened_n: 30, closed_n: 10, overdue_n: 10, median_days_to_interview: 1.5 });
    expect(c.same_day_lower).toBeCloseTo(0.2992949, 6);
    expect(c.same_day_upper).toBeCloseTo(0.7007051, 6);
    const all = values(tbl, "全部 all");
    expect(all).toMatchObject({ alerts_n: 50, same_day_n: 28, opened_n: 60, closed_n: 20, overdue_n: 20, median_days_to_interview: 2 });
    expect(all.same_day_rate).toBeCloseTo(0.56, 10);
    expect(all.same_day_lower).toBeCloseTo(0.4230579, 6);
    expect(all.same_day_upper).toBeCloseTo(0.6883801, 6);
  });

  it("counts a case as overdue only once its due date has passed at the given now", async () => {
    const spring = { schoolYear: "2025-2026", season: "spring" } as const;
    const overdue = async (now: string): Promise<(number | undefined)[]> => {
      const stats = await followUpStats(t.db, spring, new Date(now));
      return [stats.find((s) => s.schoolId !== null && s.opened === 30 && s.alerts === 30)?.overdue, stats.find((s) => s.schoolId === null)?.overdue];
    };
    expect(await overdue("2026-03-10T15:59:59.999Z")).toEqual([0, 0]);
    expect(await overdue("2026-03-10T16:00:00Z")).toEqual([10, 20]);
    expect(await overdue("2026-03-26T00:00:00Z")).toEqual([20, 40]);
  });

  it("suppresses small counts, a 100 % rate and a median over fewer than k cases, and nothing hidden can be recovered", async () => {
    const tbl = await table("2026-2027:autumn");
    expect(tbl.rows.map((r) => r[0])).toEqual(["A01", "B02", "全部 all"]);
    const a = values(tbl, "A01");
    const b = values(tbl, "B02");
    expect(a.alerts_n).toBeNull();
    expect(a.same_day_n).toBeNull();
    expect(b.same_day_n).toBeNull();
    expect([a.same_day_rate, b.same_day_rate, values(tbl, "全部 all").same_day_rate]).toEqual([null, null, null]);
    expect(b.opened_n).toBeNull();
    expect(b.median_days_to_interview).toBeNull();

    // What a reader learns of the two count tables, the hidden "not the same day" / "open, not overdue" cells derived where they can be.
    const rows = tbl.rows.slice(0, -1).map((r) => Object.fromEntries(tbl.columns.map((c, i) => [c.key, r[i] ?? null])));
    const total = values(tbl, "全部 all");
    const num = (v: TableCell | undefined): number | null => (typeof v === "number" ? v : null);
    const rest = (whole: TableCell | undefined, ...parts: (TableCell | undefined)[]): number | null => {
      const w = num(whole);
      const ps = parts.map(num);
      return w === null || ps.some((p) => p === null) ? null : w - ps.reduce<number>((s, p) => s + (p ?? 0), 0);
    };
    const alerts: PublishableTable = {
      cells: rows.map((r) => [num(r.same_day_n), rest(r.alerts_n, r.same_day_n)]),
      rowTotals: rows.map((r) => num(r.alerts_n)),
      columnTotals: [num(total.same_day_n), rest(total.alerts_n, total.same_day_n)],
      grandTotal: num(total.alerts_n),
    };
    expect(recoverable([[1, 0], [12, 0]], alerts)).toEqual([]);
    const cases: PublishableTable = {
      cells: rows.map((r) => [num(r.closed_n), rest(r.opened_n, r.closed_n, r.overdue_n), num(r.overdue_n)]),
      rowTotals: rows.map((r) => num(r.opened_n)),
      columnTotals: [num(total.closed_n), rest(total.opened_n, total.closed_n, total.overdue_n), num(total.overdue_n)],
      grandTotal: num(total.opened_n),
    };
    expect(recoverable([[0, 0, 0], [0, 5, 0]], cases)).toEqual([]);
  });

  it("serves the same table as CSV and records the download", async () => {
    const res = await get("/api/analytics/follow-up.csv?wave=2025-2026:spring");
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toContain("text/csv");
    const lines = res.body.replace(/^\uFEFF/, "").trim().split(/\r?\n/);
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(/^A01,第一中学,30,18,0\.6,/);
    const { rows } = await t.db.query<{ subject: string }>("SELECT subject FROM audit_log WHERE action = 'analytics.export' AND subject = 'follow-up'");
    expect(rows).toHaveLength(1);
  });

  it("answers 404 for an unknown wave, 400 for a malformed one and 403 to a counselor", async () => {
    expect((await get("/api/analytics/follow-up?wave=2030-2031:spring")).statusCode).toBe(404);
    expect((await get("/api/analytics/follow-up?wave=spring")).statusCode).toBe(400);
    const schoolId = (await t.db.query<{ id: string }>("SELECT id FROM schools WHERE code = 'A01'")).rows[0]!.id;
    const counselor = await t.signIn(await t.seed.account("counselor", { schoolId }));
    expect((await get("/api/analytics/follow-up?wave=2025-2026:spring", counselor.headers)).statusCode).toBe(403);
  });
});

