/** parseConfig: defaults, and every bad variable reported at once with its name. */
import { describe, expect, it } from "vitest";
import { parseConfig, publicOrigin } from "../../../src/server/config";

describe("parseConfig", () => {
  it("defaults to 127.0.0.1:3000 and the embedded database in ./data", () => {
    const r = parseConfig({}, "/srv/xq");
    expect(r).toMatchObject({ ok: true, config: { host: "127.0.0.1", port: 3000, dataDir: "/srv/xq/data", database: { kind: "pglite", dir: "/srv/xq/data/pgdata" }, keyFile: "/srv/xq/data/xinqing.key", logLevel: "info" } });
  });

  it("uses PostgreSQL when DATABASE_URL is set", () => {
    expect(parseConfig({ DATABASE_URL: "postgresql://u:p@db.example:5432/xinqing" })).toMatchObject({ ok: true, config: { database: { kind: "postgres", url: "postgresql://u:p@db.example:5432/xinqing" } } });
  });

  it.each([
    ["1", true],
    ["65535", true],
    ["0", false],
    ["65536", false],
    ["-1", false],
    ["3000.5", false],
    ["3e3", false],
    ["", true],
  ])("PORT=%j is accepted: %s", (port, ok) => {
    expect(parseConfig({ PORT: port }).ok).toBe(ok);
  });

  it.each([
    ["postgres://u@h", /names no database/],
    ["postgres:///db", /names no host/],
    ["http://u@h/db", /must start with postgres:\/\//],
    ["<script>alert(1)</script>", /is not a URL/],
    ["", /set but empty/],
  ])("refuses DATABASE_URL=%j", (url, message) => {
    const r = parseConfig({ DATABASE_URL: url });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues).toEqual([{ code: "invalid", path: "DATABASE_URL", message: expect.stringMatching(message) }]);
  });

  it("reports every bad variable at once, never echoing more than 40 characters", () => {
    const r = parseConfig({ PORT: "x".repeat(1_000_000), HOST: "bad host\u0000", LOG_LEVEL: "loud", XINQING_SECURE_COOKIES: "maybe" });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.issues.map((i) => i.path)).toEqual(["PORT", "HOST", "LOG_LEVEL", "XINQING_SECURE_COOKIES"]);
      expect(Math.max(...r.issues.map((i) => i.message.length))).toBeLessThan(200);
    }
  });

  it("reads the webhook hosts, lower-cased, and refuses a list with something else in it", () => {
    expect(parseConfig({})).toMatchObject({ ok: true, config: { server: { webhookHosts: null } } });
    expect(parseConfig({ XINQING_WEBHOOK_HOSTS: " QYAPI.weixin.qq.com, 10.0.0.5 " })).toMatchObject({ ok: true, config: { server: { webhookHosts: ["qyapi.weixin.qq.com", "10.0.0.5"] } } });
    for (const bad of ["https://qyapi.weixin.qq.com", "a,,b", "host:8080", "<script>"]) {
      const r = parseConfig({ XINQING_WEBHOOK_HOSTS: bad });
      expect(r.ok, bad).toBe(false);
      if (!r.ok) expect(r.issues.map((i) => i.path)).toEqual(["XINQING_WEBHOOK_HOSTS"]);
    }
  });

  it.each([
    [{ host: "127.0.0.1", port: 3000 }, "http://127.0.0.1:3000"],
    [{ host: "0.0.0.0", port: 80 }, "http://localhost:80"],
    [{ host: "::1", port: 3000 }, "http://[::1]:3000"],
  ])("prints %j as %s", (config, origin) => {
    expect(publicOrigin(config)).toBe(origin);
  });
});
