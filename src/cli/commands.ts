/**
 * The CLI's commands as a function from arguments to output text, so tests run them in-process.
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import { getInstrument, instruments } from "../../instruments/index";
import type { Answers, ScoreOptions } from "../../scoring/index";
import { checkValidity, fuseStudent, policies, scoreBattery, scoreInstrument, summarizeObservation } from "../../scoring/index";
import { CliError, type CliIo } from "./io";

export { CliError, type CliIo };


const AnswersInput = z.record(z.string(), z.union([z.number(), z.string(), z.array(z.union([z.number(), z.string()])), z.null()]));

const USAGE = `usage:
  xinqing score <instrument> --values 2,2,1,… [--level primary|secondary]
  xinqing score <instrument> --answers '{"q1":2,…}' [--level primary|secondary]
  xinqing tier --input battery.json
  xinqing roster import <file.csv> --school <code|id> [--dry-run]
  xinqing export aggregates --wave <2025-2026:spring|wave id> --by school|grade|school,grade --out <file.csv> [--encoding utf-8|gb18030]
  xinqing export research --wave <2025-2026:spring|wave id>[,…] --out <file.csv> [--study <label>] [--encoding utf-8|gb18030]
  xinqing backup <file> | xinqing restore <file> [--force]
  xinqing purge --dry-run | xinqing purge --confirm --operator <name>
instruments: ${[...instruments.keys()].join(", ")}`;

/** Runs one CLI command and returns what it prints. Throws CliError for bad input. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<string> {
  const [command, ...rest] = argv;
  switch (command) {
    case "score":
      return runScore(rest);
    case "tier":
      return runTier(rest, io);
    case "roster":
      // loaded on demand: the database commands pull in the server, the scoring commands do not
      return (await import("./roster")).runRosterCommand(rest, io);
    case "export":
      return (await import("./export")).runExportCommand(rest, io);
    case "purge":
      return (await import("./purge")).runPurgeCommand(rest, io);
    case undefined:
    case "help":
    case "--help":
      return USAGE;
    default:
      throw new CliError(`unknown command "${command}"; try "xinqing help"`);
  }
}

type StringOptions<K extends string> = Record<K, { type: "string" }>;

function parse<K extends string>(args: readonly string[], options: StringOptions<K>): { values: Partial<Record<K, string>>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
    return { values: values as Partial<Record<K, string>>, positionals };
  } catch (err) {
    throw new CliError((err as Error).message.split("\n")[0] ?? "bad arguments");
  }
}

function levelOption(value: unknown): ScoreOptions {
  if (value === undefined) return {};
  if (value === "primary" || value === "secondary") return { level: value };
  throw new CliError(`--level: expected "primary" or "secondary", got "${String(value)}"`);
}

function runScore(args: readonly string[]): string {
  const { values, positionals } = parse(args, { values: { type: "string" }, answers: { type: "string" }, level: { type: "string" } });
  const id = positionals[0];
  if (!id) throw new CliError(`score: name an instrument (${[...instruments.keys()].join(", ")})`);
  if (positionals.length > 1) throw new CliError(`score: unexpected argument "${positionals[1]}"`);
  const inst = getInstrument(id);
  if (!inst || inst.scoring.method === "none") throw new CliError(`score: unknown instrument "${id}"`);
  if ((values.values === undefined) === (values.answers === undefined)) throw new CliError("score: give exactly one of --values or --answers");
  let answers: Answers;
  if (typeof values.values === "string") {
    const items = inst.items.filter((it) => !it.optional && it.type !== "text");
    const parts = values.values.split(",").map((s) => s.trim());
    if (parts.length > items.length) throw new CliError(`--values: ${inst.id} has ${items.length} items in order, got ${parts.length} values`);
    answers = Object.fromEntries(parts.map((part, i) => [items[i]!.id, parseValue(part, `--values[${i + 1}]`)]));
  } else {
    answers = parseJson(String(values.answers), "--answers", AnswersInput);
  }
  return JSON.stringify(scoreInstrument(inst, answers, levelOption(values.level)));
}

function parseValue(raw: string, field: string): number | string | null {
  if (raw === "") return null;
  if (/^-?\d+$/.test(raw)) return Number(raw);
  if (/^[a-z-]+$/.test(raw)) return raw;
  throw new CliError(`${field}: "${raw}" is not a whole number or an answer code`);
}

function parseJson<T>(text: string, field: string, schema: z.ZodType<T>): T {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new CliError(`${field}: not valid JSON (${(err as Error).message})`);
  }
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path = issue.path.length > 0 ? `${field}.${issue.path.join(".")}` : field;
  throw new CliError(`${path}: ${issue.message}`);
}

const BatteryInput = z.strictObject({
  studentId: z.string().default("student"),
  level: z.enum(["primary", "secondary"]).optional(),
  policy: z.string().default("default-v1"),
  submittedAt: z.iso.datetime({ offset: true }).default("1970-01-01T00:00:00Z"),
  answers: z.record(z.string(), AnswersInput),
  pages: z.array(z.strictObject({ instrument: z.string(), startedAt: z.number(), endedAt: z.number() })).default([]),
  observations: z
    .array(
      z.strictObject({
        role: z.enum(["homeroom", "subject", "peer", "counselor"]),
        informant: z.string().min(1),
        instrument: z.string().min(1),
        at: z.iso.datetime({ offset: true }),
        answers: AnswersInput,
      }),
    )
    .default([]),
  keyPopulation: z.array(z.string()).default([]),
});

async function runTier(args: readonly string[], io: CliIo): Promise<string> {
  const { values, positionals } = parse(args, { input: { type: "string" } });
  if (positionals.length > 0) throw new CliError(`tier: unexpected argument "${positionals[0]}"`);
  if (!values.input) throw new CliError("tier: --input <battery.json> is required");
  let text: string;
  try {
    text = await io.readFile(String(values.input));
  } catch (err) {
    throw new CliError(`--input: cannot read ${String(values.input)} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const input = parseJson(text, "input", BatteryInput);
  const policy = policies.get(input.policy);
  if (!policy) throw new CliError(`input.policy: unknown policy "${input.policy}" (known: ${[...policies.keys()].join(", ")})`);
  const battery = Object.keys(input.answers).map((id) => {
    const inst = getInstrument(id);
    if (!inst || inst.respondent !== "student") throw new CliError(`input.answers.${id}: not a student instrument`);
    return inst;
  });
  const options = input.level ? { level: input.level } : {};
  const scores = scoreBattery(battery, input.answers, options);
  const validity = checkValidity(battery, input.answers, input.pages, policy.validity);
  const observations = input.observations.map((obs, i) => {
    const inst = getInstrument(obs.instrument);
    if (!inst || inst.respondent === "student") throw new CliError(`input.observations.${i}.instrument: not an observation form "${obs.instrument}"`);
    return summarizeObservation(inst, obs.answers, { role: obs.role, id: obs.informant }, new Date(obs.at), options);
  });
  const entry = fuseStudent(
    {
      studentId: input.studentId,
      current: { scores, validity, submittedAt: new Date(input.submittedAt) },
      previous: null,
      observations,
      keyPopulation: input.keyPopulation,
      openCase: null,
    },
    { policy, instruments, changeReference: {} },
  );
  return JSON.stringify({
    tier: entry.tier,
    reasons: entry.reasons,
    policyVersion: entry.policyVersion,
    acute: entry.acute,
    informants: entry.informants,
    disagree: entry.disagree,
    validity,
    scores,
  });
}
