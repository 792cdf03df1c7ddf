/**
 * GET /api/student/survey: what the student's page needs to show the battery and the end page, made on the
 * server so that the page never downloads the instruments, their zod schemas or the converter (issue 5,
 * "Build and size": the survey chunk stays within 10% of a bare survey-core page).
 *
 *   - `survey`: the SurveyJS JSON of the student's battery, from instruments/to-survey.ts `instrumentsToSurvey`
 *     (the only place SurveyJS JSON is made);
 *   - `refs`: one row per item, in battery and item order, saying where its answer lives in SurveyJS data
 *     (`name`, and `row` for a matrix) and what a valid answer is (`type`, option `values`, `min`/`max`), so the
 *     page turns `model.data` into the API's answers exactly as `surveyDataToInstrumentAnswers` does;
 *   - `help`: the hotlines of the end page, from the `help.hotlines` setting (written at first start by
 *     src/server/main.ts; an administrator fills in the district's number). A hotline whose number is not
 *     configured has `number: null`: the page never shows a made-up number.
 *
 * The battery is the one GET /api/student/response answers with (the one the response started with, else the
 * one for the student's grade now). Nothing here carries a score, band or tier. The server still validates every
 * answer it receives against the instruments (./answers.ts): the refs only save the page the work.
 */
import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Instrument } from "../../../../instruments/schema";
import { instrumentsToSurvey, questionRefs } from "../../../../instruments/to-survey";
import { requireStudent } from "../../auth/plugin";
import type { Queryable } from "../../db/database";
import type { Deps } from "../../deps";
import { ApiError } from "../../errors";
import { batteryOf, loadContext, readResponse } from "./store";

const OptionValue = z.union([z.string(), z.number()]);

/** Where one item's answer lives in SurveyJS data, and what a valid answer to it is. */
export const SurveyRef = z.strictObject({
  instrument: z.string(),
  item: z.string(),
  /** The SurveyJS question name. */
  name: z.string(),
  /** The matrix row, when the item is a row of a matrix question (its value is `{row: column}`). */
  row: z.string().optional(),
  type: z.enum(["single", "multi", "text", "number"]),
  /** The option values of a single or multi item, in option order. */
  values: z.array(OptionValue).optional(),
  /** The range of a number item. */
  min: z.number().optional(),
  max: z.number().optional(),
});
export type SurveyRef = z.infer<typeof SurveyRef>;

/** A help line as the `help.hotlines` setting stores it. */
export const Hotline = z.strictObject({
  id: z.string().min(1).max(64),
  /** Null until an administrator fills it in. */
  number: z.string().trim().min(1).max(40).nullable(),
  label: z.strictObject({ "zh-CN": z.string().min(1).max(200), en: z.string().min(1).max(200) }),
});
export type Hotline = z.infer<typeof Hotline>;

export const StudentSurveyReply = z.strictObject({
  battery: z.strictObject({ id: z.string(), instruments: z.array(z.string()) }),
  /** SurveyJS JSON (instruments/to-survey.ts `SurveyJson`), for `new Model(survey)`. */
  survey: z.record(z.string(), z.unknown()),
  refs: z.array(SurveyRef),
  help: z.strictObject({ hotlines: z.array(Hotline) }),
});
export type StudentSurveyReply = z.infer<typeof StudentSurveyReply>;

/** The ref table of a battery: every item of every instrument, in page and item order. Pure. */
export function surveyRefs(instruments: readonly Instrument[]): SurveyRef[] {
  return instruments.flatMap((inst) => {
    const refs = questionRefs(inst);
    return inst.items.flatMap((item): SurveyRef[] => {
      const ref = refs.get(item.id);
      if (!ref) return [];
      const base: SurveyRef = { instrument: inst.id, item: item.id, name: ref.name, type: item.type };
      if (ref.row !== undefined) base.row = ref.row;
      switch (item.type) {
        case "single":
        case "multi":
          return [{ ...base, values: (item.options ?? inst.options ?? []).map((o) => o.value) }];
        case "number":
          return [{ ...base, ...(item.min === undefined ? {} : { min: item.min }), ...(item.max === undefined ? {} : { max: item.max }) }];
        case "text":
          return [base];
      }
    });
  });
}

/**
 * The hotlines of a `help.hotlines` setting value: every well-formed entry, in the stored order; a malformed
 * entry is left out (the end page still shows the others) and reported by its index. Pure.
 */
export function readHotlines(value: unknown): { hotlines: Hotline[]; problems: { index: number; message: string }[] } {
  if (!Array.isArray(value)) return { hotlines: [], problems: value === undefined ? [] : [{ index: -1, message: "help.hotlines is not a list" }] };
  const hotlines: Hotline[] = [];
  const problems: { index: number; message: string }[] = [];
  value.forEach((entry, index) => {
    const parsed = Hotline.safeParse(entry);
    if (parsed.success) hotlines.push(parsed.data);
    else problems.push({ index, message: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") });
  });
  return { hotlines, problems };
}

async function loadHotlineSetting(db: Queryable): Promise<unknown> {
  const { rows } = await db.query<{ value: unknown }>("SELECT value FROM settings WHERE key = 'help.hotlines'");
  return rows[0]?.value;
}

export const studentSurveyRoutes: FastifyPluginAsync<{ deps: Deps }> = async (base, { deps }) => {
  const app = base.withTypeProvider<ZodTypeProvider>();

  app.get("/api/student/survey", { schema: { response: { 200: StudentSurveyReply } } }, async (request): Promise<StudentSurveyReply> => {
    const student = requireStudent(request);
    const ctx = await loadContext(deps.db, student.studentId, student.waveId);
    if (!ctx) throw new ApiError(401, "unauthenticated", "enter your access code first");
    // The same refusals as GET /api/student/response (routes.ts checkOpen).
    const now = deps.now().getTime();
    if (ctx.waveStatus !== "open" || now < ctx.opensAt.getTime() || now >= ctx.closesAt.getTime()) throw new ApiError(409, "wave_closed", "this screening is not open now");
    if (ctx.consent === "opted-out") throw new ApiError(403, "opted_out", "your guardian chose that you do not take part in this screening");
    const row = await readResponse(deps.db, student.waveId, student.studentId);
    const { battery, instruments } = batteryOf(ctx, row?.batteryId);
    const help = readHotlines(await loadHotlineSetting(deps.db));
    if (help.problems.length > 0) request.log.warn({ problems: help.problems }, "settings help.hotlines: malformed entries left out of the end page");
    return {
      battery: { id: battery.id, instruments: [...battery.selfReport] },
      survey: { ...instrumentsToSurvey(instruments) },
      refs: surveyRefs(instruments),
      help: { hotlines: help.hotlines },
    };
  });
};
