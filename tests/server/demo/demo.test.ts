/**
 * The synthetic demo district: its size and shape, results made by the real scoring library, every
 * role with a working password, and the guard that keeps demo data out of real data directories.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getInstrument } from "../../../instruments/index";
import { scoreInstrument } from "../../../scoring/index";
import { startDemo } from "../../../src/cli/demo";
import { verifyPassword } from "../../../src/server/auth/passwords";
import { decrypt, deriveKeys } from "../../../src/server/crypto/cipher";
import { openDatabase } from "../../../src/server/db/database";
import { migrate } from "../../../src/server/db/migrate";
import { buildDemoDistrict, checkDemoTarget, demoWaveDates, type DemoCounts, type DemoMarker } from "../../../src/server/demo/district";
import { loadConfig, openStore } from "../../../src/server/main";
import { describeEachDatabase } from "../../helpers/databases";

const dirs: string[] = [];
const temp = (): string => {
  const d = mkdtempSync(join(tmpdir(), "xinqing-demo-"));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describeEachDatabase("the demo district", (getDb) => {
  const keys = deriveKeys(randomBytes(32));
  let marker: DemoMarker;
  let counts: DemoCounts;
  let seconds = 0;
  beforeAll(async () => {
    await migrate(getDb());
    const started = performance.now();
    ({ marker, counts } = await buildDemoDistrict({ db: getDb(), keys, now: () => new Date("2026-11-02T08:00:00Z"), newId: () => randomUUID(), randomBytes: (n) => randomBytes(n) }));
    seconds = (performance.now() - started) / 1000;
  });

  it("has 2 schools, 40 classes and 1,600 students in grades 1-12, built well under a minute", async () => {
    expect(counts).toMatchObject({ schools: 2, classes: 40, students: 1600 });
    const { rows } = await getDb().query<{ grades: number[]; per_class: number[] }>(
      "SELECT (SELECT array_agg(DISTINCT grade ORDER BY grade) FROM students) AS grades, (SELECT array_agg(DISTINCT n) FROM (SELECT count(*)::int AS n FROM students GROUP BY class_id) c) AS per_class",
    );
    expect(rows[0]).toEqual({ grades: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], per_class: [40] });
    expect(seconds).toBeLessThan(30);
  });

  it("stores names encrypted, each obviously fake (演 in every given name)", async () => {
    const { rows } = await getDb().query<{ id: string; name_enc: string }>("SELECT id, name_enc FROM students");
    const names = rows.map((r) => decrypt(keys, r.name_enc, `students.name_enc:${r.id}`));
    expect(names.every((n) => /^\p{Script=Han}演\p{Script=Han}$/u.test(n))).toBe(true);
    expect(rows.some((r) => r.name_enc.includes("演"))).toBe(false);
  });

  it("gives every role accounts whose printed password signs in", async () => {
    const { rows } = await getDb().query<{ role: string; username: string; password_hash: string }>("SELECT DISTINCT ON (role) role, username, password_hash FROM accounts ORDER BY role, username");
    expect(rows.map((r) => r.role).sort()).toEqual(["admin", "analyst", "counselor", "homeroom", "peer", "school-lead", "subject"]);
    for (const row of rows) {
      const line = marker.accounts.find((a) => a.role === row.role);
      expect(await verifyPassword(String(line?.password), row.password_hash)).toBe(true);
      expect(await verifyPassword("wrong password", row.password_hash)).toBe(false);
    }
  });

  it("has a closed spring wave whose results for grades 4-12 come from the real scoring library with the policy version", async () => {
    const db = getDb();
    const { rows: waves } = await db.query<{ status: string; season: string; school_year: string }>("SELECT status, season, school_year FROM waves");
    expect(waves).toHaveLength(2);
    expect(waves.every((w) => w.status === "closed" && w.season === "spring" && w.school_year === demoWaveDates(new Date("2026-11-02T08:00:00Z")).schoolYear)).toBe(true);
    const { rows } = await db.query<{ grade: number; answers: Record<string, Record<string, number>>; scores: Record<string, { total?: number }>; tier: string; policy_version: string }>(
      "SELECT s.grade, r.answers, x.scores, x.tier, x.policy_version FROM results x JOIN responses r ON r.id = x.response_id JOIN students s ON s.id = r.student_id",
    );
    expect(rows.length).toBeGreaterThan(1000);
    expect(Math.min(...rows.map((r) => r.grade))).toBe(4);
    expect(new Set(rows.map((r) => r.policy_version))).toEqual(new Set(["default-v1"]));
    expect(new Set(rows.map((r) => r.tier))).toEqual(new Set(["none", "yellow", "orange", "red"]));
    const phq9 = getInstrument("phq9");
    if (!phq9) throw new Error("phq9 missing");
    for (const r of rows.slice(0, 200)) {
      const again = scoreInstrument(phq9, r.answers.phq9 ?? {}, { level: r.grade <= 6 ? "primary" : "secondary" });
      expect(again.kind === "scored" ? again.total : undefined).toBe(r.scores.phq9?.total);
    }
    // A plausible share, not a clinical estimate: between 5% and 35% reach PHQ-9 ≥ 10.
    const share = rows.filter((r) => (r.scores.phq9?.total ?? 0) >= 10).length / rows.length;
    expect(share).toBeGreaterThan(0.05);
    expect(share).toBeLessThan(0.35);
  });

  it("has an alert for every critical answer; all but two per school acknowledged, with a case for each red or orange one", async () => {
    const db = getDb();
    const { rows: alerts } = await db.query<{ school_id: string; acknowledged: boolean; case_id: string | null; tier: string }>(
      "SELECT a.school_id, a.acknowledged_at IS NOT NULL AS acknowledged, a.case_id, x.tier FROM alerts a JOIN results x ON x.response_id = a.source_id",
    );
    expect(alerts.length).toBeGreaterThan(10);
    const waiting = alerts.filter((a) => !a.acknowledged);
    expect(waiting).toHaveLength(4);
    expect(new Set(waiting.map((a) => a.school_id)).size).toBe(2);
    for (const a of alerts.filter((x) => x.acknowledged)) expect(a.case_id !== null).toBe(a.tier === "red" || a.tier === "orange");
    const { rows: cases } = await db.query<{ state: string }>("SELECT state FROM cases");
    expect(cases.length).toBeGreaterThan(0);
    expect(new Set(cases.map((c) => c.state))).toEqual(new Set(["acknowledged"]));
  });

  it("has observations by homeroom teachers and peer monitors, and marks itself a demo database", async () => {
    const { rows } = await getDb().query<{ role: string }>("SELECT DISTINCT role FROM observations ORDER BY role");
    expect(rows.map((r) => r.role)).toEqual(["homeroom", "peer"]);
    expect(await checkDemoTarget(getDb())).toMatchObject({ kind: "demo", marker: { demo: true } });
  });
});

describe("the guard that keeps demo data out of real data directories", () => {
  it("accepts an empty database and refuses a migrated one not marked as a demo", async () => {
    const db = await openDatabase({ memory: true });
    try {
      expect(await checkDemoTarget(db)).toEqual({ kind: "empty" });
      await migrate(db);
      expect(await checkDemoTarget(db)).toMatchObject({ kind: "refused" });
    } finally {
      await db.close();
    }
  });

  it("refuses XINQING_DATA pointing at a real data directory and writes nothing into it", async () => {
    const dir = temp();
    const store = await openStore(loadConfig({ XINQING_DATA: dir }), { purpose: "test" });
    await store.close();
    const printed: string[] = [];
    await expect(startDemo({ XINQING_DATA: dir, PORT: "3999", XINQING_STATIC: "none" }, { print: (l) => printed.push(l) })).rejects.toThrow(
      /holds a database that is not marked as a demo database; npm run demo never writes into it/,
    );
    const db = await openDatabase({ dataDir: join(dir, "pgdata") });
    try {
      const { rows } = await db.query<{ n: number }>("SELECT (SELECT count(*) FROM students)::int + (SELECT count(*) FROM settings WHERE key = 'demo')::int AS n");
      expect(rows[0]?.n).toBe(0);
    } finally {
      await db.close();
    }
    expect(printed).toEqual([]);
  });

  it("refuses a non-empty directory without a database, and DATABASE_URL", async () => {
    const dir = temp();
    writeFileSync(join(dir, "xinqing.key"), "anything", { mode: 0o600 });
    await expect(startDemo({ XINQING_DATA: dir }, { print: () => undefined })).rejects.toThrow(/is not empty and holds no demo database/);
    await expect(startDemo({ DATABASE_URL: "postgres://u@127.0.0.1/x" }, { print: () => undefined })).rejects.toThrow(/unset DATABASE_URL/);
  });
});

describe("npm run demo as a process", () => {
  it("builds the district on first run, prints the accounts, serves, stops on SIGTERM, and reuses it on the next run", async () => {
    const { freePort, runScript, waitForHealth } = await import("../startup/child");
    const dir = join(temp(), "data-demo");
    const first = async (): Promise<string> => {
      const port = await freePort();
      const child = runScript("src/cli/demo.ts", [], { XINQING_DATA: dir, PORT: String(port) });
      try {
        await waitForHealth(child, port, 60_000);
      } finally {
        child.process.kill("SIGTERM");
      }
      expect(await child.exited).toBe(0);
      return child.stdout();
    };
    const out = await first();
    expect(out).toMatch(/XinQing demo: 2 schools, 40 classes, 1600 students, \d+ accounts/);
    expect(out).toMatch(/admin\s+demo-admin\s+password: demo-[A-Za-z0-9_-]{12}/);
    const again = await first();
    expect(again).not.toContain("building the synthetic demo district");
    expect(again.match(/admin\s+demo-admin\s+password: (\S+)/)?.[1]).toBe(out.match(/admin\s+demo-admin\s+password: (\S+)/)?.[1]);
  }, 150_000); // two starts of a child process, each allowed 60 s to become healthy
});
