/**
 * Issue 8, "Faults": backup → wipe → restore with the real command (`xinqing backup <file>` and
 * `xinqing restore <file>`, src/cli/main.ts as `npm run xinqing --` runs it) around the real server: every
 * row comes back, and the restored server serves the counselor the same watch list (same students, tiers,
 * reasons and decrypted names) with the same session.
 *
 * tests/cli/backup.test.ts covers the command's formats, refusals and row round trips in process; this
 * suite adds the processes, the wipe and what a counselor sees afterwards.
 */
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { AnswersBody } from "../../src/shared/responses";
import type { WatchlistReply } from "../../src/shared/watchlist";
import { tempDir } from "../server/startup/child";
import { describeEachKind, fullBattery, newKey, newStore, runCliProcess, seedLab, SimStudent, snapshotRows, startServerProcess, stopServer, visitsOf, type Lab, type ServerProcess, type Store } from "./harness";

/** A spread of tiers: critical answers (red), a moderate PHQ-9 and GAD-7, and calm students. */
function answersOf(i: number): AnswersBody {
  if (i % 4 === 0) return fullBattery(i % 8 === 0 ? "phq9-item9" : "asq");
  if (i % 4 === 1) return { ...fullBattery(), phq9: { q1: 2, q2: 2, q3: 2, q4: 2, q5: 1, q6: 2, q7: 1, q8: 1, q9: 0 }, gad7: { q1: 2, q2: 2, q3: 2, q4: 1, q5: 1, q6: 2, q7: 1 } };
  return fullBattery();
}

/** The watch list as the counselor gets it, without the moment it was computed. */
async function watchList(server: ServerProcess, lab: Lab): Promise<Omit<WatchlistReply, "computedAt">> {
  const res = await fetch(`${server.base}/api/schools/${lab.schoolId}/watchlist`, { headers: lab.counselor });
  expect(res.status, `${await res.clone().text()}\n${server.child.stdout()}\n${server.child.stderr()}`).toBe(200);
  const { computedAt: _computedAt, ...rest } = (await res.json()) as WatchlistReply;
  return rest;
}

/** Declares the suite: one per database, run at the same time. */
export function describeBackupRestore(): void {
  describeEachKind("backup, wipe and restore around the real server", (kind) => {
    let store: Store;
    let lab: Lab;
    let before: Omit<WatchlistReply, "computedAt">;
    let rows: Record<string, string[]>;
    const file = join(tempDir("xinqing-backup-file-"), kind === "pglite" ? "xinqing.tar.gz" : "xinqing.dump");

    beforeAll(async () => {
      store = await newStore(kind);
      lab = await seedLab(store, 12);
      const server = await startServerProcess(store.env);
      for (const [i, s] of lab.students.entries()) {
        const sim = new SimStudent(server.base, s);
        await sim.signIn();
        const answers = answersOf(i);
        const res = await sim.call("POST", "/api/student/response/submit", { idempotencyKey: newKey(), answers, pages: visitsOf(answers) });
        expect(res.status, JSON.stringify(res.body)).toBe(200);
      }
      before = await watchList(server, lab);
      expect(await stopServer(server)).toBe(0);
    }, 180_000);
    afterAll(() => store?.dispose());

    it("backs up with the command, keeping every row, while no server runs", async () => {
      // Several tiers on the list, names decrypted: a round trip that lost the key or a row would show.
      expect(new Set(before.entries.map((e) => e.tier)).size).toBeGreaterThanOrEqual(2);
      expect(before.entries.map((e) => e.name)).toContain(lab.students[0]!.name);
      const backup = await runCliProcess(["backup", file], store.env);
      expect(backup.stderr).toBe("");
      expect(backup).toMatchObject({ code: 0, stdout: expect.stringContaining(`written to ${file}`) });
      rows = await store.withDb(snapshotRows);
      expect(rows.responses).toHaveLength(12);
    });

    it("restores into a wiped store with every row of every table", async () => {
      if (kind === "pglite") {
        rmSync(join(store.dataDir, "pgdata"), { recursive: true });
        expect(existsSync(join(store.dataDir, "pgdata"))).toBe(false);
      } else {
        await store.withDb(async (db) => {
          await db.exec("DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
          expect(await snapshotRows(db)).toEqual({});
        });
      }
      const restore = await runCliProcess(["restore", file], store.env);
      expect(restore.stderr).toBe("");
      expect(restore.code).toBe(0);
      expect(await store.withDb(snapshotRows)).toEqual(rows);
    });

    it("serves the counselor the same watch list from the restored data, with the same session", async () => {
      const server = await startServerProcess(store.env);
      try {
        expect(await watchList(server, lab)).toEqual(before);
      } finally {
        expect(await stopServer(server)).toBe(0);
      }
    });
  });
}
