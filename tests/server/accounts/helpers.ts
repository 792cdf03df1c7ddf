/** Builders for the accounts tests: passwords set straight in the database, sign-in through the API. */
import { randomBytes } from "node:crypto";
import { hashPassword } from "../../../src/server/auth/passwords";
import type { TestServer } from "../../helpers/server";

let addressCounter = 0;
/** A fresh client address, so address lockouts of one test never touch another. */
export const anAddress = (): string => `10.1.${Math.floor(++addressCounter / 250)}.${(addressCounter % 250) + 1}`;

export async function setPassword(t: TestServer, accountId: string, password: string): Promise<void> {
  await t.db.query("UPDATE accounts SET password_hash = $2 WHERE id = $1", [accountId, await hashPassword(password, randomBytes(16))]);
}

export function login(t: TestServer, username: string, password: string, opts: { address?: string; cookie?: string; csrf?: string } = {}) {
  return t.app.inject({
    method: "POST",
    url: "/api/auth/login",
    remoteAddress: opts.address ?? anAddress(),
    headers: { ...(opts.cookie && { cookie: opts.cookie }), ...(opts.csrf && { "x-csrf-token": opts.csrf }) },
    payload: { username, password },
  });
}

/** The session cookie (name=value) a response set. */
export function sessionCookieOf(res: { headers: Record<string, unknown> }): string {
  const header = res.headers["set-cookie"];
  const line = Array.isArray(header) ? String(header[0]) : String(header);
  return line.split(";")[0]!;
}
