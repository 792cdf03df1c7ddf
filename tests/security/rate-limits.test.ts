/**
 * Rate limits (issue 8): sign-in locked per account and per address, access-code guessing locked per lab
 * address, and, on PostgreSQL, the locks holding across two app instances on one database (a district
 * runs several stateless app servers: guessing on each in turn must not multiply the attempts).
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { buildApp, type App } from "../../src/server/app";
import { LOGIN_ACCOUNT_POLICY, LOGIN_ADDRESS_POLICY, loginAddressKey, recordFailure } from "../../src/server/auth/lockout";
import { hashPassword } from "../../src/server/auth/passwords";
import { openDatabase, type Database } from "../../src/server/db/database";
import { CODE_LOCKOUT } from "../../src/server/features/waves/student-entry";
import { describeEachDatabase } from "../helpers/databases";
import { startTestServer, type TestServer } from "../helpers/server";
import { buildWorld, type World } from "./world";

/** Well-formed codes (the slip alphabet) that no slip carries. */
const WRONG_CODES = ["ABCDEFGH", "BCDEFGHJ", "CDEFGHJK", "DEFGHJKM", "EFGHJKMN", "FGHJKMNP", "GHJKMNPQ", "HJKMNPQR", "JKMNPQRS", "KMNPQRST", "MNPQRSTU"];

let address = 0;
/** A fresh client address (each test its own, so locks never leak between tests). */
const anAddress = () => `10.8.${Math.floor(++address / 250)}.${(address % 250) + 1}`;

describeEachDatabase("rate limits", (getDb, context) => {
  let t: TestServer;
  let w: World;
  let accounts = 0;

  /**
   * A staff account with a password, on the database of `server`. Its hash is of a low scrypt cost, so
   * the wrong guesses cost little; none of these accounts ever signs in (that would rehash it).
   */
  async function anAccount(server: TestServer, password = "a good long password"): Promise<string> {
    const username = `limited.${++accounts}`;
    const id = await server.seed.account("counselor", { schoolId: await server.seed.school(), username });
    await server.db.query("UPDATE accounts SET password_hash = $2 WHERE id = $1", [id, await hashPassword(password, Buffer.alloc(16, accounts), { N: 1024, r: 8, p: 1 })]);
    return username;
  }
  const login = (app: App, username: string, password: string, remoteAddress: string) => app.inject({ method: "POST", url: "/api/auth/login", payload: { username, password }, remoteAddress });
  const enter = (app: App, code: string, remoteAddress: string) => app.inject({ method: "POST", url: "/api/student/session", payload: { code }, remoteAddress });

  beforeAll(async () => {
    t = await startTestServer(getDb());
    w = await buildWorld(t);
  });
  afterAll(() => t.app.close());

  it("locks an account after 5 wrong passwords, whatever addresses they came from, and only that account", async () => {
    const username = await anAccount(t);
    expect(LOGIN_ACCOUNT_POLICY.max).toBe(5);
    for (let i = 0; i < 5; i++) expect((await login(t.app, username, "wrong password", anAddress())).statusCode).toBe(401);
    const locked = await login(t.app, username, "a good long password", anAddress());
    expect(locked.statusCode).toBe(429);
    expect(locked.json()).toMatchObject({ error: { code: "locked" } });
    expect(Number(locked.headers["retry-after"])).toBeGreaterThan(0);
    // Another account from the same addresses is not affected.
    expect((await login(t.app, w.login.username, w.login.password, anAddress())).statusCode).toBe(200);
  });

  it("locks an address after 20 failed sign-ins on any accounts, and only that address", async () => {
    const lab = anAddress();
    expect(LOGIN_ADDRESS_POLICY.max).toBe(20);
    // 17 failures counted beforehand by the same lockout module (each sign-in costs a password hash), 3 by the route.
    for (let i = 0; i < 17; i++) await recordFailure(t.db, loginAddressKey(lab), t.clock.now(), LOGIN_ADDRESS_POLICY);
    for (let i = 0; i < 3; i++) expect((await login(t.app, `nobody.${address}.${i}`, "guess", lab)).statusCode).toBe(401);
    const locked = await login(t.app, w.login.username, w.login.password, lab);
    expect(locked.statusCode).toBe(429);
    expect(locked.json()).toMatchObject({ error: { code: "locked" } });
    expect((await login(t.app, w.login.username, w.login.password, anAddress())).statusCode).toBe(200);
  });

  it("locks a lab address after 10 wrong access codes, even for a valid code, and only that address", async () => {
    const lab = anAddress();
    expect(CODE_LOCKOUT.max).toBe(10);
    for (const code of WRONG_CODES.slice(0, 10)) expect((await enter(t.app, code, lab)).json()).toMatchObject({ error: { code: "code_invalid" } });
    const locked = await enter(t.app, w.entryCode, lab);
    expect(locked.statusCode).toBe(429);
    expect(locked.json()).toMatchObject({ error: { code: "locked" } });
    expect(Number(locked.headers["retry-after"])).toBeGreaterThan(0);
    expect((await enter(t.app, w.entryCode, anAddress())).statusCode).toBe(200);
  });

  it("does not let a valid code reset the count of wrong ones", async () => {
    const lab = anAddress();
    for (const code of WRONG_CODES.slice(0, 9)) await enter(t.app, code, lab);
    expect((await enter(t.app, w.entryCode, lab)).statusCode).toBe(200);
    expect((await enter(t.app, WRONG_CODES[9]!, lab)).statusCode).toBe(401);
    expect((await enter(t.app, w.entryCode, lab)).statusCode).toBe(429);
  });

  it.runIf(context.kind === "postgres")("holds code and sign-in locks across two app instances on one PostgreSQL database", async () => {
    const shared = await context.freshDatabase();
    const one = await startTestServer(shared.db);
    let db2: Database | undefined;
    let two: App | undefined;
    try {
      const world = await buildWorld(one);
      // A second app server: its own connection pool, the same database and key.
      db2 = await openDatabase({ url: shared.url!, poolSize: 2 });
      two = await buildApp({ ...one.deps, db: db2 });
      const apps = [one.app, two];

      // Ten wrong codes at once, half on each instance: every one counts.
      const lab = anAddress();
      const wrong = await Promise.all(WRONG_CODES.slice(0, 10).map((code, i) => enter(apps[i % 2]!, code, lab)));
      expect(wrong.map((r) => r.statusCode)).toEqual(new Array(10).fill(401));
      for (const app of apps) expect((await enter(app, world.entryCode, lab)).statusCode).toBe(429);
      expect((await enter(two, world.entryCode, anAddress())).statusCode).toBe(200);

      // Five wrong passwords, alternating instances: the account is locked on both.
      const username = await anAccount(one);
      for (let i = 0; i < 5; i++) expect((await login(apps[i % 2]!, username, "wrong password", anAddress())).statusCode).toBe(401);
      for (const app of apps) expect((await login(app, username, "a good long password", anAddress())).statusCode).toBe(429);
    } finally {
      await two?.close();
      await db2?.close();
      await one.app.close();
    }
  });
});
