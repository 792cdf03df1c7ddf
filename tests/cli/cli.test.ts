import { execFile } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { CliError, runCli } from "../../src/cli/commands";

const files = new Map<string, string>();
const io = {
  readFile: async (path: string) => {
    const text = files.get(path);
    if (text === undefined) throw Object.assign(new Error("no such file"), { code: "ENOENT" });
    return text;
  },
};
const run = (...argv: string[]) => runCli(argv, io);
const failure = async (...argv: string[]) => {
  try {
    await run(...argv);
  } catch (err) {
    if (err instanceof CliError) return err.message;
    throw err;
  }
  throw new Error("expected a CliError");
};

describe("xinqing score", () => {
  it("prints the issue's PHQ-9 example exactly", async () => {
    expect(await run("score", "phq9", "--values", "2,2,2,1,1,1,1,0,0")).toBe('{"kind":"scored","instrument":"phq9","total":10,"band":"moderate","critical":[]}');
  });

  it("adds the percentage for WHO-5", async () => {
    expect(JSON.parse(await run("score", "who5", "--values", "1,2,1,2,1"))).toEqual({ kind: "scored", instrument: "who5", total: 7, band: "likely-depression", percent: 28, critical: [], flags: ["item-low"] });
  });

  it("scores ASQ answers given by id", async () => {
    expect(JSON.parse(await run("score", "asq", "--answers", '{"q1":"yes","q2":"no","q3":"no","q4":"no","q5":"no"}'))).toMatchObject({ band: "non-acute-positive", critical: ["q1"] });
    expect(JSON.parse(await run("score", "asq", "--values", "no,no,yes,no,yes"))).toMatchObject({ band: "acute-positive" });
  });

  it("reports SRSS-IE subscales for the level asked", async () => {
    const out = JSON.parse(await run("score", "srss-ie", "--values", "0,1,0,2,1,0,0,3,2,1,1,0", "--level", "secondary"));
    expect(out).toMatchObject({ kind: "scored", instrument: "srss-ie", total: 11 });
    expect(Object.keys(out.subscales).sort()).toEqual(["e7", "i6"]);
  });

  it("prints incomplete with the missing items for too few values", async () => {
    expect(JSON.parse(await run("score", "gad7", "--values", "1,1,1"))).toEqual({ kind: "incomplete", instrument: "gad7", missing: ["q4", "q5", "q6", "q7"], critical: [] });
  });

  it("prints invalid naming the item for a value out of range", async () => {
    expect(JSON.parse(await run("score", "phq9", "--values", "2,2,2,1,1,1,1,0,9"))).toMatchObject({ kind: "invalid", problems: [{ code: "out-of-range", item: "q9" }] });
  });

  it.each([
    [["score"], /name an instrument/],
    [["score", "bdi", "--values", "1"], /unknown instrument "bdi"/],
    [["score", "peer-concern", "--values", "1"], /unknown instrument "peer-concern"/],
    [["score", "phq9"], /exactly one of --values or --answers/],
    [["score", "phq9", "--values", "1", "--answers", "{}"], /exactly one of/],
    [["score", "phq9", "--values", "1,1,1,1,1,1,1,1,1,1"], /--values: phq9 has 9 items in order, got 10 values/],
    [["score", "phq9", "--values", "1,2.5"], /--values\[2\]: "2.5" is not a whole number/],
    [["score", "phq9", "--answers", "{q1:1}"], /--answers: not valid JSON/],
    [["score", "phq9", "--answers", '{"q1":{"x":1}}'], /--answers\.q1: /],
    [["score", "phq9", "--values", "1", "--level", "college"], /--level: expected "primary" or "secondary"/],
    [["score", "phq9", "--bogus"], /Unknown option '--bogus'/],
    [["frobnicate"], /unknown command "frobnicate"/],
  ])("rejects %j with one line naming the problem", async (argv, message) => {
    const text = await failure(...argv);
    expect(text).toMatch(message);
    expect(text).not.toContain("\n");
  });
});

describe("xinqing tier", () => {
  const battery = {
    level: "secondary",
    answers: {
      phq9: { q1: 2, q2: 2, q3: 2, q4: 1, q5: 1, q6: 1, q7: 1, q8: 0, q9: 1 },
      gad7: { q1: 1, q2: 1, q3: 1, q4: 1, q5: 0, q6: 0, q7: 0 },
      who5: { q1: 2, q2: 2, q3: 2, q4: 2, q5: 2 },
      asq: { q1: "no", q2: "no", q3: "no", q4: "no" },
    },
    observations: [{ role: "peer", informant: "p1", instrument: "peer-concern", at: "2026-03-02T08:00:00+08:00", answers: { concerns: ["low-mood"], urgency: "soon" } }],
  };

  it("scores a battery with observations and prints the tier with its reasons", async () => {
    files.set("battery.json", JSON.stringify(battery));
    const out = JSON.parse(await run("tier", "--input", "battery.json"));
    expect(out).toMatchObject({ tier: "orange", policyVersion: "default-v1", informants: ["self", "peer"], disagree: false });
    expect(out.reasons.map((r: { rule: string }) => r.rule)).toEqual(["phq9-item9", "informants-agree", "phq9-moderate", "observer-concern"]);
    expect(out.scores.phq9).toMatchObject({ total: 11, band: "moderate", critical: ["q9"] });
  });

  it("uses another policy version when asked", async () => {
    files.set("cn.json", JSON.stringify({ ...battery, observations: [], policy: "cn-cutoff-7-v1", answers: { ...battery.answers, phq9: { q1: 1, q2: 1, q3: 1, q4: 1, q5: 1, q6: 1, q7: 1, q8: 0, q9: 0 } } }));
    expect(JSON.parse(await run("tier", "--input", "cn.json"))).toMatchObject({ tier: "yellow", policyVersion: "cn-cutoff-7-v1" });
  });

  it.each([
    [["tier"], "tier: --input <battery.json> is required"],
    [["tier", "--input", "missing.json"], "--input: cannot read missing.json (ENOENT)"],
  ])("rejects %j", async (argv, message) => {
    expect(await failure(...argv)).toBe(message);
  });

  it.each([
    ["not json", "{", /^input: not valid JSON/],
    ["an unknown field", { ...battery, extra: 1 }, /^input: Unrecognized key: "extra"/],
    ["a bad observation role", { ...battery, observations: [{ ...battery.observations[0], role: "janitor" }] }, /^input\.observations\.0\.role: /],
    ["an unknown policy", { ...battery, policy: "v99" }, /^input\.policy: unknown policy "v99"/],
    ["a teacher form as self-report", { ...battery, answers: { "srss-ie": {} } }, /^input\.answers\.srss-ie: not a student instrument/],
    ["a self-report form as an observation", { ...battery, observations: [{ ...battery.observations[0], instrument: "phq9" }] }, /^input\.observations\.0\.instrument: not an observation form/],
    ["a bad date", { ...battery, observations: [{ ...battery.observations[0], at: "yesterday" }] }, /^input\.observations\.0\.at: /],
  ])("rejects a file with %s, naming the field", async (_name, content, message) => {
    files.set("bad.json", typeof content === "string" ? content : JSON.stringify(content));
    expect(await failure("tier", "--input", "bad.json")).toMatch(message);
  });
});

describe("the xinqing process", () => {
  const exec = promisify(execFile);
  const cli = (args: string[]) => exec(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args]).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

  it("prints one JSON line and exits 0", async () => {
    const r = await cli(["score", "phq9", "--values", "2,2,2,1,1,1,1,0,0"]);
    expect(r).toEqual({ code: 0, stdout: '{"kind":"scored","instrument":"phq9","total":10,"band":"moderate","critical":[]}\n', stderr: "" });
  });

  it("exits 2 with one line and no stack trace on bad input", async () => {
    const dir = await mkdtemp(join(tmpdir(), "xinqing-cli-"));
    await writeFile(join(dir, "b.json"), '{"answers": 5}');
    const r = await cli(["tier", "--input", join(dir, "b.json")]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^xinqing: input\.answers: .+\n$/);
    expect(r.stderr).not.toMatch(/\bat .+:\d+:\d+/);
  });

  it("routes backup to its command: no file named → exit 2 and one line", async () => {
    const r = await cli(["backup"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/backup/);
  });
});
