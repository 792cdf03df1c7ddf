import { describe, expect, it } from "vitest";
import { Role } from "../../../src/shared/api";
import { classLabel, classOption, HOME_OF, loginErrorText, navOf, replaceSlip, skippedLines, wavesForCodes } from "../../../src/app/staff/model";
import { routeOf } from "../../../src/app/App";
import type { Wave } from "../../../src/shared/waves";

const wave = (over: Partial<Wave>): Wave => ({
  id: "w",
  schoolId: "s",
  schoolYear: "2025-2026",
  season: "spring",
  opensAt: "2026-03-01T00:00:00.000Z",
  closesAt: "2026-04-01T00:00:00.000Z",
  batteries: [],
  policyVersion: "default-v1",
  status: "open",
  frozenAt: null,
  createdAt: "2026-02-01T00:00:00.000Z",
  usable: true,
  ...over,
});

const slip = (studentId: string, code: string) => ({ studentId, classId: "c", grade: 8, classLabel: "3", studentNo: studentId, maskedName: "张*明", code });

describe("staff routes", () => {
  it.each([
    ["/login", "login"],
    ["/login/", "login"],
    ["/staff/slips", "slips"],
    ["/staff", "not-found"],
    ["/staff/slips/x", "not-found"],
  ])("routes %s to %s", (path, kind) => {
    expect(routeOf(path).kind).toBe(kind);
  });
});

describe("HOME_OF and navOf", () => {
  it("gives every role a home page that its own header links to, except the peer monitor, who gets no links", () => {
    for (const role of Role.options) {
      const links = navOf(role).map((l) => l.href);
      if (role === "peer") expect(links).toEqual([]);
      else expect(links).toContain(HOME_OF[role]);
    }
  });

  it("routes every home page to a page, never to not-found", () => {
    for (const role of Role.options) expect(routeOf(HOME_OF[role]).kind).not.toBe("not-found");
  });
});

describe("loginErrorText", () => {
  it("shows the server's message of a wrong password", () => {
    expect(loginErrorText({ ok: false, kind: "http", status: 401, error: { code: "bad_credentials", message: "wrong username or password / 用户名或密码错误" } })).toBe("wrong username or password / 用户名或密码错误");
  });

  it("adds the time to try again to a lockout, from the retryAfter detail", () => {
    const until = new Date(2026, 2, 2, 14, 5);
    const text = loginErrorText({ ok: false, kind: "http", status: 429, error: { code: "locked", message: "too many", details: [{ path: "retryAfter", code: "retry_after", message: until.toISOString() }] } });
    expect(text).toContain("too many");
    expect(text).toContain("14:05");
  });

  it("falls back to Retry-After seconds when the detail is missing", () => {
    const now = new Date(2026, 2, 2, 9, 0);
    expect(loginErrorText({ ok: false, kind: "http", status: 429, error: { code: "locked", message: "too many" } }, now, 15 * 60)).toContain("09:15");
  });

  it("says the network failed when there was no answer", () => {
    expect(loginErrorText({ ok: false, kind: "network", message: "offline" })).toContain("网络连接失败");
  });
});

describe("wavesForCodes", () => {
  it("keeps draft and open waves, newest first, and leaves dates to the server", () => {
    const waves = [
      wave({ id: "old-open", opensAt: "2026-03-01T00:00:00.000Z" }),
      wave({ id: "closed", status: "closed" }),
      wave({ id: "past", opensAt: "2026-03-05T00:00:00.000Z", closesAt: "2026-03-09T00:00:00.000Z" }),
      wave({ id: "draft", status: "draft", opensAt: "2026-03-20T00:00:00.000Z", closesAt: "2026-05-01T00:00:00.000Z" }),
    ];
    expect(wavesForCodes(waves).map((w) => w.id)).toEqual(["draft", "past", "old-open"]);
  });
});

describe("classLabel", () => {
  it.each([
    [{ grade: 8, label: "3" }, "8年级3班"],
    [{ grade: 10, classLabel: "12" }, "10年级12班"],
    [{ grade: 7, label: "实验班" }, "7年级 实验班"],
  ])("names %o as %s", (c, text) => {
    expect(classLabel(c)).toBe(text);
  });
});

describe("classOption", () => {
  it("isolates the class's name from the head count after it, so an override in a typed label cannot reverse it", () => {
    const klass = { id: "c", grade: 8, label: "\u202E实验班", enrolled: 40, left: 0 };
    expect(classOption(klass)).toBe("\u20688年级 \u202E实验班\u2069（40 人）");
  });
});

describe("replaceSlip", () => {
  it("replaces the reissued student's code in place and leaves the others", () => {
    const slips = [slip("1", "AAAAAAAA"), slip("2", "BBBBBBBB"), slip("3", "CCCCCCCC")];
    expect(replaceSlip(slips, slip("2", "ZZZZZZZZ")).map((s) => s.code)).toEqual(["AAAAAAAA", "ZZZZZZZZ", "CCCCCCCC"]);
  });
});

describe("skippedLines", () => {
  it("explains each non-zero reason and nothing else", () => {
    expect(skippedLines({ optedOut: 0, alreadyActive: 0, submitted: 0, noSelfReport: 0 })).toEqual([]);
    const lines = skippedLines({ optedOut: 2, alreadyActive: 1, submitted: 0, noSelfReport: 0 });
    expect(lines).toHaveLength(2);
    expect(lines.join("\n")).toContain("2 名学生的监护人已拒绝参加");
  });
});
