import iconv from "iconv-lite";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runExportCommand } from "../../../src/cli/export";
import { CliError } from "../../../src/cli/io";
import { loadConfig, openStore } from "../../../src/server/main";

describe("xinqing export aggregates", () => {
  let dir: string;
  const env = () => ({ XINQING_DATA: dir });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "xinqing-export-"));
    const store = await openStore(loadConfig(env(), dir), { purpose: "test" });
    try {
      const db = store.db;
      await db.query("INSERT INTO schools (id, code, name) VALUES ('s1', 'A01', '第一中学'), ('s2', 'B02', '=HYPERLINK(\"x\")')");
      await db.query("INSERT INTO classes (id, school_id, grade, label) VALUES ('c1', 's1', 7, '1'), ('c2', 's2', 8, '1')");
      await db.query(
        `INSERT INTO waves (id, school_id, school_year, season, opens_at, closes_at, batteries, policy_version, status, frozen_at)
         VALUES ('w1', 's1', '2025-2026', 'spring', '2026-03-01Z', '2026-03-31Z', '[]', 'default-v1', 'open', '2026-03-01Z'),
                ('w2', 's2', '2025-2026', 'spring', '2026-03-01Z', '2026-03-31Z', '[]', 'default-v1', 'open', '2026-03-01Z')`,
      );
      // 30 students in each school, all submitted: tiers none 10, yellow 10, orange 10
      await db.query(
        `INSERT INTO students (id, school_id, class_id, student_no_hash, student_no_enc, name_enc, grade)
         SELECT 'st' || s.school || '-' || g, 's' || s.school, 'c' || s.school, 'h' || s.school || '-' || g, 'x', 'x', 6 + s.school
           FROM generate_series(1, 2) AS s(school), generate_series(1, 30) AS g`,
      );
      await db.query(
        `INSERT INTO responses (id, wave_id, student_id, battery_id, status, started_at, updated_at, submitted_at)
         SELECT 'r' || id, 'w' || substr(school_id, 2), id, 'secondary', 'submitted', now(), now(), now() FROM students`,
      );
      await db.query(
        `INSERT INTO results (response_id, scores, validity, tier, reasons, policy_version, computed_at)
         SELECT 'r' || id, '{"who5":{"kind":"scored","percent":60}}', '{"kind":"valid"}',
                (ARRAY['none','yellow','orange'])[1 + (split_part(id, '-', 2)::int % 3)], '[]', 'default-v1', now() FROM students`,
      );
    } finally {
      await store.close();
    }
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("writes the district's aggregates by school as UTF-8 CSV with a BOM, hostile names neutralised", async () => {
    const out = await runExportCommand(["aggregates", "--wave", "2025-2026:spring", "--by", "school", "--out", "agg.csv"], { env: env(), cwd: dir });
    expect(JSON.parse(out)).toMatchObject({ wave: "2025-2026:spring", by: "school", encoding: "utf-8", rows: 3, k: 10 });
    const bytes = await readFile(join(dir, "agg.csv"));
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = bytes.subarray(3).toString("utf8").trim().split("\r\n");
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(/^A01,第一中学,30,/);
    expect(lines[2]).toMatch(/^B02,"'=HYPERLINK\(""x""\)",30,/);
    // tiers block of A: 30 screened; the empty red column is hidden and, so that 30 − 10 − 10 does not
    // show it, so is the smallest other cell of the row (none, first of the 10s); yellow and orange stay
    expect(lines[1]).toContain(",30,,,,,10,0.3333333333333333,0.19230295526846194,0.5122027418616973,10,0.3333333333333333,");
    // happiness block: n 30, mean 60, SD 0
    expect(lines[1]).toMatch(/,30,60,60,60$/);
  });

  it("writes GB18030 on request, taking a wave id for its district wave", async () => {
    const out = await runExportCommand(["aggregates", "--wave", "w2", "--by", "grade", "--out", "agg-gb.csv", "--encoding", "gb18030"], { env: env(), cwd: dir });
    expect(JSON.parse(out)).toMatchObject({ wave: "2025-2026:spring", encoding: "gb18030" });
    const text = iconv.decode(await readFile(join(dir, "agg-gb.csv")), "gb18030");
    expect(text.startsWith("年级 grade,")).toBe(true);
  });

  it.each([
    { argv: ["aggregates"], message: /--wave is required/ },
    { argv: ["aggregates", "--wave", "2025-2026:spring", "--out", "x.csv", "--by", "student"], message: /--by must be/ },
    { argv: ["aggregates", "--wave", "2025-2026:spring", "--out", "x.csv", "--encoding", "latin1"], message: /--encoding must be/ },
    { argv: ["aggregates", "--wave", "2025-2026:spring"], message: /--out/ },
    { argv: ["aggregates", "--wave", "nope'; DROP TABLE x", "--out", "x.csv"], message: /no wave/ },
    { argv: ["aggregates", "--wave", "2030-2031:autumn", "--out", "x.csv"], message: /no school has a wave/ },
    { argv: ["aggregates", "--bogus"], message: /Unknown option/ },
    { argv: ["tables"], message: /unknown subcommand/ },
  ])("refuses $argv with one clear line", async ({ argv, message }) => {
    const run = runExportCommand(argv, { env: env(), cwd: dir });
    await expect(run).rejects.toBeInstanceOf(CliError);
    await expect(runExportCommand(argv, { env: env(), cwd: dir })).rejects.toThrow(message);
  });
});
