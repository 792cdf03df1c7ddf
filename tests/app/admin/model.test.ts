import iconv from "iconv-lite";
import { describe, expect, it } from "vitest";
import {
  accountState,
  actorText,
  auditFilterProblems,
  auditQuery,
  batteryRows,
  classRelationsOf,
  codeActions,
  codeCounts,
  contextText,
  dayAt,
  dayStart,
  decodeTextFile,
  defaultSchoolYear,
  defaultSeason,
  isDay,
  needsSchool,
  nextDay,
  parseConsentFile,
  problemsOf,
  quotedCell,
  readDelimited,
  rolesAssignableBy,
  rosterSummaryLines,
  sectionOf,
  sectionsOf,
  setupLink,
  staffByClass,
  timeAt,
  toggleClass,
  waveActions,
  waveBody,
  waveDays,
} from "../../../src/app/admin/model";
import { routeOf } from "../../../src/app/App";
import { ASSIGNABLE_ROLES } from "../../../src/server/auth/can";
import type { AccountView } from "../../../src/shared/accounts";
import { Role } from "../../../src/shared/api";
import type { RosterImportSummary } from "../../../src/shared/roster";
import type { Wave } from "../../../src/shared/waves";

const CHINA = 480;
const china = () => CHINA;

describe("sections of /admin", () => {
  it("routes /admin and everything under it to the admin page", () => {
    expect(routeOf("/admin").kind).toBe("admin");
    expect(routeOf("/admin/waves").kind).toBe("admin");
    expect(routeOf("/administrator").kind).toBe("not-found");
  });

  it("gives the administrator schools, accounts and the audit log, and the school lead the school's set-up", () => {
    expect(sectionsOf("admin").map((s) => s.href)).toEqual(["/admin/schools", "/admin/accounts", "/admin/audit"]);
    expect(sectionsOf("school-lead").map((s) => s.id)).toEqual(["roster", "classes", "waves", "consent", "codes", "accounts"]);
  });

  it.each(["analyst", "counselor", "homeroom", "subject", "peer"] as const)("gives a %s no section", (role) => {
    expect(sectionsOf(role)).toEqual([]);
    expect(sectionOf("/admin", role)).toBeNull();
  });

  it.each([
    ["/admin", "admin", "schools"],
    ["/admin/", "school-lead", "roster"],
    ["/admin/audit", "admin", "audit"],
    ["/admin/codes/", "school-lead", "codes"],
    ["/admin/audit", "school-lead", null],
    ["/admin/roster", "admin", null],
    ["/admin/nothing", "admin", null],
    ["/admin/codes/x", "school-lead", null],
  ] as const)("shows %s to a %s as %s", (path, role, section) => {
    expect(sectionOf(path, role)).toBe(section);
  });
});

describe("the account form", () => {
  it.each(Role.options)("offers a %s exactly the roles the server lets it create", (role) => {
    expect(new Set(rolesAssignableBy(role))).toEqual(new Set(ASSIGNABLE_ROLES[role]));
  });

  it("asks for a school for every role but the district's", () => {
    expect(Role.options.filter(needsSchool)).toEqual(["school-lead", "counselor", "homeroom", "subject", "peer"]);
  });

  it.each([
    ["homeroom", ["homeroom", "subject"]],
    ["subject", ["subject"]],
    ["peer", ["peer"]],
    ["counselor", []],
    ["school-lead", []],
  ] as const)("lets a %s hold classes as %j", (role, relations) => {
    expect(classRelationsOf(role)).toEqual(relations);
  });

  it("puts the set-up token in the link's fragment, which browsers never send", () => {
    expect(setupLink("http://127.0.0.1:3000", "abc_DEF-123")).toBe("http://127.0.0.1:3000/setup#abc_DEF-123");
  });

  it.each([
    [{ disabled: true, hasPassword: true }, "已停用 · Disabled"],
    [{ disabled: false, hasPassword: false }, "待设置密码 · Set-up pending"],
    [{ disabled: false, hasPassword: true }, "正常 · Active"],
  ])("names the state of %j", (account, text) => {
    expect(accountState(account)).toBe(text);
  });

  it("adds and removes one class relation, keeping the others", () => {
    const start = [{ classId: "c1", relation: "homeroom" as const }];
    const added = toggleClass(start, "c2", "subject", true);
    expect(added).toEqual([{ classId: "c1", relation: "homeroom" }, { classId: "c2", relation: "subject" }]);
    expect(toggleClass(added, "c1", "homeroom", false)).toEqual([{ classId: "c2", relation: "subject" }]);
    expect(toggleClass(added, "c2", "subject", true)).toEqual(added);
    expect(start).toEqual([{ classId: "c1", relation: "homeroom" }]);
  });
});

describe("staff of each class", () => {
  const account = (over: Partial<AccountView>): AccountView => ({
    id: "a",
    username: "user",
    role: "homeroom",
    schoolId: "s",
    displayName: null,
    disabled: false,
    hasPassword: true,
    classes: [],
    createdAt: "2026-03-01T00:00:00.000Z",
    ...over,
  });

  it("lists each class's homeroom teacher, teachers and peer monitors by name, leaving out disabled accounts", () => {
    const byClass = staffByClass([
      account({ username: "wang", displayName: "王老师", classes: [{ classId: "c1", relation: "homeroom" }, { classId: "c2", relation: "subject" }] }),
      account({ username: "li", role: "subject", classes: [{ classId: "c1", relation: "subject" }] }),
      account({ username: "peer.zhao", role: "peer", classes: [{ classId: "c1", relation: "peer" }] }),
      account({ username: "gone", disabled: true, classes: [{ classId: "c1", relation: "homeroom" }] }),
    ]);
    expect(byClass.get("c1")).toEqual({ homeroom: ["王老师"], subject: ["li"], peer: ["peer.zhao"] });
    expect(byClass.get("c2")).toEqual({ homeroom: [], subject: ["王老师"], peer: [] });
    expect(byClass.has("c3")).toBe(false);
  });
});

describe("problems of a failed call", () => {
  it("keeps every roster problem's line and column", () => {
    const problems = problemsOf({
      ok: false,
      kind: "http",
      status: 400,
      error: {
        code: "roster_invalid",
        message: "名单有 2 处问题，未导入任何数据",
        details: [
          { line: 3, column: "年级", code: "unknown_grade", message: "年级无法识别：九十" },
          { line: 5, column: null, code: "too_few_fields", message: "该行的格子比表头少" },
        ],
      },
    });
    expect(problems).toEqual([
      { line: 3, column: "年级", message: "年级无法识别：九十" },
      { line: 5, column: null, message: "该行的格子比表头少" },
    ]);
  });

  it("names a form field by its path without the part of the request", () => {
    const problems = problemsOf({ ok: false, kind: "http", status: 400, error: { code: "invalid_classes", message: "x", details: [{ path: "body.classes.1.classId", message: "no such class" }] } });
    expect(problems).toEqual([{ line: null, column: "classes.1.classId", message: "no such class" }]);
  });

  it("falls back to the error's message, or says the network failed", () => {
    expect(problemsOf({ ok: false, kind: "http", status: 409, error: { code: "username_taken", message: "用户名已被使用" } })).toEqual([{ line: null, column: null, message: "用户名已被使用" }]);
    expect(problemsOf({ ok: false, kind: "network", message: "offline" })[0]!.message).toContain("网络");
  });

  it("finds the cell a roster problem quotes, between the server's words, to show it as an isolate", () => {
    expect(quotedCell("年级无法识别：“九十”")).toEqual({ before: "年级无法识别：“", cell: "九十", after: "”" });
    expect(quotedCell("列名重复：“\u202E姓名”（与第 2 列相同）")).toEqual({ before: "列名重复：“", cell: "\u202E姓名", after: "”（与第 2 列相同）" });
    // The cell itself may hold quote marks: the server's words before and after it hold none.
    expect(quotedCell("班级“a”b“c”属于 8 年级，但年级列是 7 年级")).toEqual({ before: "班级“", cell: "a”b“c", after: "”属于 8 年级，但年级列是 7 年级" });
    expect(quotedCell("该行的格子比表头少")).toBeNull();
  });
});

describe("what a roster import did", () => {
  const summary: RosterImportSummary = {
    dryRun: false,
    encoding: "gb18030",
    delimiter: "comma",
    rows: 40,
    created: 38,
    updated: 1,
    unchanged: 1,
    rejoined: 0,
    left: 2,
    classesCreated: 1,
    consent: null,
  };

  it("says what was written, and that students missing from the roster were marked as left", () => {
    expect(rosterSummaryLines(summary)).toMatchInlineSnapshot(`
      [
        "导入完成：40 名学生（GB18030 (Excel)，逗号分隔）· Imported: 40 students",
        "已新增 38，已更新 1，无变化 1 · created 38, updated 1, unchanged 1",
        "2 名学生不在新名单中，已标记为离校（不删除）· marked as left, not deleted: 2",
        "已新建 1 个班级 · classes created: 1",
      ]
    `);
  });

  it("says a check wrote nothing, and where consent went", () => {
    const lines = rosterSummaryLines({ ...summary, dryRun: true, left: 0, classesCreated: 0, consent: { consented: 30, optedOut: 2, pending: 8, waveIds: [], written: 0, codesRevoked: 0 } });
    expect(lines[0]).toContain("尚未导入");
    expect(lines[1]).toContain("将新增 38");
    expect(lines.slice(2)).toEqual([
      "知情同意：同意 30，拒绝 2，待定 8 · consent: 30 consented, 2 opted out, 8 pending",
      "没有进行中的测评，知情同意未写入任何测评 · no open wave: consent was not written to any wave",
    ]);
  });
});

describe("wave dates", () => {
  it.each([
    [new Date(2026, 6, 31), "2025-2026", "spring"],
    [new Date(2026, 7, 1), "2026-2027", "autumn"],
    [new Date(2027, 0, 31), "2026-2027", "autumn"],
    [new Date(2027, 1, 1), "2026-2027", "spring"],
  ] as const)("puts %s in school year %s, %s season", (now, year, season) => {
    expect(defaultSchoolYear(now)).toBe(year);
    expect(defaultSeason(now)).toBe(season);
  });

  it.each([
    [480, "2026-03-01T00:00:00+08:00"],
    [0, "2026-03-01T00:00:00+00:00"],
    [-300, "2026-03-01T00:00:00-05:00"],
    [330, "2026-03-01T00:00:00+05:30"],
  ])("starts a day at offset %i as %s", (offset, instant) => {
    expect(dayStart("2026-03-01", offset)).toBe(instant);
  });

  it.each([
    ["2026-02-28", "2026-03-01"],
    ["2028-02-28", "2028-02-29"],
    ["2026-12-31", "2027-01-01"],
  ])("follows %s with %s", (day, next) => {
    expect(nextDay(day)).toBe(next);
  });

  it.each([
    ["2026-03-01", true],
    ["2026-02-29", false],
    ["2028-02-29", true],
    ["2026-3-1", false],
    ["", false],
  ])("knows whether %j is a day", (day, ok) => {
    expect(isDay(day)).toBe(ok);
  });

  it("opens a wave at the start of its first day and closes it at the end of its last day, in the school's time zone", () => {
    expect(waveBody({ schoolYear: "2025-2026", season: "spring", opensOn: "2026-03-01", lastDay: "2026-03-20" }, china)).toEqual({
      ok: true,
      body: { schoolYear: "2025-2026", season: "spring", opensAt: "2026-03-01T00:00:00+08:00", closesAt: "2026-03-21T00:00:00+08:00" },
    });
    const oneDay = waveBody({ schoolYear: "2025-2026", season: "spring", opensOn: "2026-03-02", lastDay: "2026-03-02" }, china);
    expect(oneDay.ok && oneDay.body.closesAt).toBe("2026-03-03T00:00:00+08:00");
  });

  it("names every problem of the form", () => {
    const checked = waveBody({ schoolYear: "2025-2027", season: "autumn", opensOn: "2026-09-10", lastDay: "2026-09-09" }, china);
    expect(checked.ok ? [] : checked.problems.map((p) => p.column)).toEqual(["schoolYear", "lastDay"]);
    const empty = waveBody({ schoolYear: "2026-2027", season: "autumn", opensOn: "", lastDay: "" }, china);
    expect(empty.ok ? [] : empty.problems.map((p) => p.column)).toEqual(["opensOn", "lastDay"]);
  });

  it("shows instants as the school's days and times", () => {
    expect(dayAt("2026-02-28T16:00:00.000Z", CHINA)).toBe("2026-03-01");
    expect(dayAt("2026-02-28T15:59:59.999Z", CHINA)).toBe("2026-02-28");
    expect(timeAt("2026-03-02T00:05:00.000Z", CHINA)).toBe("2026-03-02 08:05");
    expect(waveDays({ opensAt: "2026-02-28T16:00:00.000Z", closesAt: "2026-03-20T16:00:00.000Z" }, china)).toBe("2026-03-01 – 2026-03-20");
  });
});

describe("a wave's battery and actions", () => {
  const battery = (id: string, season: "spring" | "autumn", from: number, to: number, selfReport: string[], teacher: string | null) => ({ id, season, grades: { from, to }, selfReport, teacher });
  const wave: Pick<Wave, "season" | "batteries"> = {
    season: "spring",
    batteries: [
      battery("spring-7-12", "spring", 7, 12, ["phq9", "gad7", "who5", "asq", "wellbeing-factors"], "srss-ie"),
      battery("autumn-1-12", "autumn", 1, 12, ["phq9"], null),
      battery("spring-1-3", "spring", 1, 3, [], "psc17-teacher"),
      battery("spring-4-6", "spring", 4, 6, ["who5", "custom-scale"], null),
    ],
  };

  it("lists the season's battery per grade band, lowest grades first, with the instruments' names", () => {
    expect(batteryRows(wave)).toEqual([
      { band: "1–3 年级", selfReport: [], teacher: "PSC-17（教师 · teacher）" },
      { band: "4–6 年级", selfReport: ["WHO-5", "custom-scale"], teacher: null },
      { band: "7–12 年级", selfReport: ["PHQ-9", "GAD-7", "WHO-5", "ASQ", "幸福感因素 · Well-being factors"], teacher: "SRSS-IE（教师 · teacher）" },
    ]);
  });

  it.each([
    ["draft", { open: true, close: false }],
    ["open", { open: false, close: true }],
    ["closed", { open: false, close: false }],
  ] as const)("lets a %s wave be %j", (status, actions) => {
    expect(waveActions({ status })).toEqual(actions);
  });
});

describe("code states", () => {
  it("counts the students in each state", () => {
    expect(codeCounts([{ codeState: "active" }, { codeState: "active" }, { codeState: "used" }, { codeState: "none" }])).toEqual({ active: 2, used: 1, revoked: 0, none: 1 });
  });

  it.each([
    ["active", "pending", "open", { revoke: true, reissue: true, reissueLabel: "重新发放 · Reissue" }],
    ["revoked", "consented", "open", { revoke: false, reissue: true, reissueLabel: "重新发放 · Reissue" }],
    ["none", "pending", "draft", { revoke: false, reissue: true, reissueLabel: "发放 · Issue" }],
    ["used", "consented", "open", { revoke: false, reissue: false, reissueLabel: "重新发放 · Reissue" }],
    ["revoked", "opted-out", "open", { revoke: false, reissue: false, reissueLabel: "重新发放 · Reissue" }],
    ["active", "pending", "closed", { revoke: true, reissue: false, reissueLabel: "重新发放 · Reissue" }],
  ] as const)("offers a %s code of a %s student in a %s wave: %j", (codeState, consent, status, actions) => {
    expect(codeActions({ codeState, consent }, { status })).toEqual(actions);
  });
});

describe("the consent file", () => {
  const students = [
    { studentId: "s1", studentNo: "20260801" },
    { studentId: "s2", studentNo: "20260802" },
    { studentId: "s3", studentNo: "0800" },
  ];

  it("reads UTF-8, UTF-8 with a BOM and GB18030 as Excel writes them", () => {
    const text = "学号,同意\r\n20260801,拒绝\r\n";
    expect(decodeTextFile(new TextEncoder().encode(text))).toBe(text);
    expect(decodeTextFile(new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(text)]))).toBe(text);
    expect(decodeTextFile(new Uint8Array(iconv.encode(text, "gb18030")))).toBe(text);
  });

  it("reads quoted cells, tabs and line breaks inside quotes, counting physical lines", () => {
    expect(readDelimited('a,b\r\n"x, ""y""",2\n"two\r\nlines",3\r4')).toEqual([
      { line: 1, cells: ["a", "b"] },
      { line: 2, cells: ['x, "y"', "2"] },
      { line: 3, cells: ["two\r\nlines", "3"] },
      { line: 5, cells: ["4"] },
    ]);
    expect(readDelimited("学号\t同意\n1\t同意\n")).toEqual([
      { line: 1, cells: ["学号", "同意"] },
      { line: 2, cells: ["1", "同意"] },
    ]);
  });

  it("matches students by number, keeps leading zeros, skips blank rows and reads an empty cell as pending", () => {
    const result = parseConsentFile("姓名,学号,知情同意\n张*明,20260801,同意\n\n李*,20260802,\n,0800,不同意\n", students);
    expect(result).toEqual({
      ok: true,
      items: [
        { studentId: "s1", status: "consented" },
        { studentId: "s2", status: "pending" },
        { studentId: "s3", status: "opted-out" },
      ],
    });
  });

  it("names every bad row with its line and column, and sends nothing", () => {
    const result = parseConsentFile("学号,同意\n20260801,同意\n99999999,同意\n20260801,拒绝\n\n20260802,maybe\n,同意\n", students);
    expect(result).toEqual({
      ok: false,
      problems: [
        { line: 3, column: "学号", message: expect.stringContaining("99999999") },
        { line: 4, column: "学号", message: expect.stringContaining("第 2 行") },
        { line: 6, column: "同意", message: expect.stringContaining("maybe") },
        { line: 7, column: "学号", message: expect.stringContaining("学号为空") },
      ],
    });
  });

  it("refuses a file without the two columns, or without students", () => {
    expect(parseConsentFile("学号,姓名\n1,甲\n", students)).toEqual({ ok: false, problems: [{ line: 1, column: "同意", message: expect.any(String) }] });
    expect(parseConsentFile("学号,同意\n", students)).toEqual({ ok: false, problems: [{ line: null, column: null, message: expect.stringContaining("没有学生") }] });
    expect(parseConsentFile("", students)).toEqual({ ok: false, problems: [{ line: null, column: null, message: expect.stringContaining("文件为空") }] });
  });
});

describe("the audit log's filters", () => {
  it("asks for an action or a family, and the days in the school's time zone with the last day included", () => {
    expect(auditQuery({ action: " code. ", fromDay: "2026-03-01", toDay: "2026-03-02" }, china)).toBe(
      `?action=code.&from=${encodeURIComponent("2026-03-01T00:00:00+08:00")}&to=${encodeURIComponent("2026-03-03T00:00:00+08:00")}`,
    );
    expect(auditQuery({ action: "", fromDay: "", toDay: "" }, china)).toBe("");
    expect(auditQuery({ action: "", fromDay: "", toDay: "" }, china, "1234")).toBe("?before=1234");
  });

  it("names each bad filter", () => {
    expect(auditFilterProblems({ action: "code.revoke", fromDay: "2026-03-01", toDay: "2026-03-01" })).toEqual([]);
    expect(auditFilterProblems({ action: "code.", fromDay: "", toDay: "" })).toEqual([]);
    expect(auditFilterProblems({ action: "DROP TABLE", fromDay: "2026-03-02", toDay: "2026-03-01" }).map((p) => p.column)).toEqual(["action", "toDay"]);
    expect(auditFilterProblems({ action: "", fromDay: "2026-02-30", toDay: "" }).map((p) => p.column)).toEqual(["fromDay"]);
  });

  it("shows context as text and who acted", () => {
    expect(contextText({ reason: "<b>locked</b>", classes: 2, filters: { action: "code." } })).toBe('reason=\u2068<b>locked</b>\u2069 classes=\u20682\u2069 filters=\u2068{"action":"code."}\u2069');
    // Each value is an isolate: an override typed into a filter cannot reverse the pairs after it.
    expect(contextText({ filters: { action: "\u202Ecode." }, entries: 3 })).toBe('filters=\u2068{"action":"\u202Ecode."}\u2069 entries=\u20683\u2069');
    expect(actorText({ actorUsername: "root.admin", actorRole: "admin", actorId: "a1" })).toBe("root.admin (admin)");
    expect(actorText({ actorUsername: null, actorRole: "student", actorId: "s1" })).toBe("student s1");
    expect(actorText({ actorUsername: null, actorRole: "anonymous", actorId: null })).toBe("anonymous");
  });
});
