import { describe, expect, it } from "vitest";
import { createApiClient, isTransient, readResponse } from "../../src/app/ui/api";
import { routeOf } from "../../src/app/App";

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

describe("readResponse", () => {
  it("returns the data of a 2xx", async () => {
    expect(await readResponse(json(200, { a: 1 }))).toEqual({ ok: true, status: 200, data: { a: 1 } });
  });

  it("returns the server's error shape on a 4xx", async () => {
    expect(await readResponse(json(409, { error: { code: "wave_closed", message: "closed" } }))).toEqual({ ok: false, kind: "http", status: 409, error: { code: "wave_closed", message: "closed" } });
  });

  it("treats an HTML page (a captive portal or proxy) as being offline", async () => {
    const result = await readResponse(new Response("<html>login</html>", { status: 200 }));
    expect(result).toMatchObject({ ok: false, kind: "network" });
  });

  it("gives an error code to an error without our body", async () => {
    expect(await readResponse(new Response("", { status: 502, statusText: "Bad Gateway" }))).toEqual({ ok: false, kind: "http", status: 502, error: { code: "http_502", message: "Bad Gateway" } });
  });
});

describe("createApiClient", () => {
  it("sends the CSRF token on writes only, and forgets it when told", async () => {
    const seen: { method: string; csrf: string | null }[] = [];
    const api = createApiClient({
      fetch: async (_url, init) => {
        seen.push({ method: init?.method ?? "GET", csrf: new Headers(init?.headers).get("x-csrf-token") });
        return json(200, {});
      },
    });
    api.setCsrfToken("tok");
    await api.get("/a");
    await api.put("/a", {});
    api.setCsrfToken(null);
    await api.post("/a");
    expect(seen).toEqual([
      { method: "GET", csrf: null },
      { method: "PUT", csrf: "tok" },
      { method: "POST", csrf: null },
    ]);
  });

  it("reports a failed fetch as a network failure, never a throw", async () => {
    const api = createApiClient({
      fetch: async () => {
        throw new TypeError("Failed to fetch");
      },
    });
    expect(await api.get("/x")).toEqual({ ok: false, kind: "network", message: "Failed to fetch" });
  });

  it("aborts a hanging call after the timeout", async () => {
    const api = createApiClient({
      timeoutMs: 20,
      fetch: (_url, init) => new Promise((_resolve, reject) => init?.signal?.addEventListener("abort", () => reject(new Error("aborted")))),
    });
    expect(await api.get("/slow")).toMatchObject({ ok: false, kind: "network" });
  });
});

describe("isTransient", () => {
  it.each([
    [408, true],
    [429, true],
    [500, true],
    [503, true],
    [400, false],
    [401, false],
    [409, false],
  ])("HTTP %i is worth retrying: %s", (status, expected) => {
    expect(isTransient({ ok: false, kind: "http", status, error: { code: "x", message: "x" } })).toBe(expected);
  });
});

describe("routeOf", () => {
  it.each([
    ["/", "student"],
    ["/student", "student"],
    ["/student/", "student"],
    ["/setup", "setup"],
    ["/counselor", "counselor"],
    ["/nowhere", "not-found"],
  ])("sends %s to the %s page", (path, kind) => {
    expect(routeOf(path).kind).toBe(kind);
  });
});
