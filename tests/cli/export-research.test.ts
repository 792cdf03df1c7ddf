import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runExportCommand } from "../../src/cli/export";
import { CliError } from "../../src/cli/io";
import { encrypt } from "../../src/server/crypto/cipher";
import { researchKeys } from "../../src/server/features/analytics/research";
import { loadConfig, openStore } from "../../src/server/main";

describe("xinqing export research", () => {
  let dir: string;
  const env = () => ({ XINQING_DATA: dir });
  const withStore = async <T>(work: (store: Awaited<ReturnType<typeof openStore>>) => Promise<T>): Promise<T> => {
    const store = await openStore(loadConfig(env(), dir), { purpose: "test" });
    try {
      return await work(store);
    } finally {
      await store.close();
    }
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "xinqing-research-"));
    await withStore(async ({ db, keys }) => {
      await db.query("INSERT INTO schools (id, code, name) VALUES ('s1', 'A01', '第一中学')");
      await db.query("INSERT INTO classes (id, school_id, grade, label) VALUES ('c1', 's1', 7, '1')");
      await db.query(
        `INSERT INTO waves (id, school_id, school_year, season, opens_at, closes_at, batteries, policy_version, status, frozen_at)
         VALUES ('w1', 's1', '2025-2026', 'spring', '2026-03-01Z', '2026-03-31Z', '[]', 'default-v1', 'open', '2026-03-01Z')`,
      );
      for (let i = 1; i <= 3; i++) {
        await db.query(
          `INSERT INTO students (id, school_id, class_id, student_no_hash, student_no_enc, name_enc, grade, birth_year) VALUES ($1, 's1', 'c1', $2, $3, $4, 7, 2013)`,
          [`stu-${i}`, `h${i}`, encrypt(keys, `2026000${i}`, `students.student_no_enc:stu-${i}`), encrypt(keys, `学生甲${i}`, `students.name_enc:stu-${i}`)],
        );
        await db.query(
          `INSERT INTO responses (id, wave_id, student_id, battery_id, status, answers, started_at, updated_at, submitted_at)
           VALUES ($1, 'w1', $2, 'secondary', 'submitted', '{"phq9":{"q1":1}}', '2026-03-10T02:00Z', '2026-03-10T02:10Z', '2026-03-10T02:10Z')`,
          [`r${i}`, `stu-${i}`],
        );
      }
    });
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("writes the de-identified rows to the file, keyed by the database's key, and audits the export", async () => {
    const out = await runExportCommand(["research", "--wave", "w1", "--out", "research.csv", "--study", "trial-1"], { env: env(), cwd: dir });
    expect(JSON.parse(out)).toMatchObject({ waves: ["2025-2026:spring"], study: "trial-1", encoding: "utf-8", rows: 3 });
    const bytes = await readFile(join(dir, "research.csv"));
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.subarray(3).toString("utf8");
    const lines = text.trim().split("\r\n");
    expect(lines).toHaveLength(4);
    for (const secret of ["学生甲", "stu-", "2026000"]) expect(text).not.toContain(secret);
    await withStore(async ({ db, keys }) => {
      const k = researchKeys(keys, "trial-1");
      expect(lines.slice(1).map((l) => l.split(",")[0]).sort()).toEqual(["stu-1", "stu-2", "stu-3"].map((id) => k.pseudonym(id)).sort());
      const { rows } = await db.query<{ actor_role: string; context: unknown }>("SELECT actor_role, context FROM audit_log WHERE action = 'research.export'");
      expect(rows).toEqual([{ actor_role: "cli", context: { waves: ["2025-2026:spring"], study: "trial-1", encoding: "utf-8", rows: 3 } }]);
    });
  });

  it("refuses a missing --out, a bad study label and an unknown wave", async () => {
    await expect(runExportCommand(["research", "--wave", "2025-2026:spring"], { env: env(), cwd: dir })).rejects.toThrow(/--out/);
    await expect(runExportCommand(["research", "--wave", "w1", "--out", "x.csv", "--study", "Bad Label"], { env: env(), cwd: dir })).rejects.toThrow(CliError);
    await expect(runExportCommand(["research", "--wave", "2030-2031:autumn", "--out", "x.csv"], { env: env(), cwd: dir })).rejects.toThrow(/no school has a wave 2030-2031:autumn/);
  });
});
