/**
 * The student's screening response (issue 5): resume, autosave, submit, decline. Every route needs the
 * student session made from an access code; the API contract and its ordering and idempotency rules are
 * in src/shared/responses.ts.
 *
 * A submit saves, scores (scoring/ through ./submit.ts), stores the `results` row and ends the student's
 * sessions in ONE transaction, and answers the student with nothing but `{responseId, status, critical}`.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { policies } from "../../../../scoring/index";
import type { Answers } from "../../../../scoring/index";
import { criticalItems } from "../../../../scoring/index";
import type { Instrument } from "../../../../instruments/schema";
import type { AnswersBody, AutosaveReply, DeclineReply, ResponseState, SubmitReply } from "../../../shared/responses";
import { AutosaveBody, AutosaveReply as AutosaveReplySchema, DeclineBody, DeclineReply as DeclineReplySchema, ResponseState as ResponseStateSchema, SubmitBody, SubmitReply as SubmitReplySchema } from "../../../shared/responses";
import type { StudentActor } from "../../auth/actor";
import { requireStudent } from "../../auth/plugin";
import { clearSessionCookie, hashToken, readSessionToken } from "../../auth/sessions";
import { decrypt, encrypt } from "../../crypto/cipher";
import type { Queryable } from "../../db/database";
import type { Deps } from "../../deps";
import { createBatcher, type Settled } from "../../db/batcher";
import { ApiError, badRequest } from "../../errors";
import type { AnswerProblem, StoredTexts } from "./answers";
import { checkAnswers, checkCurrentPage, checkVisits, MAX_PROBLEMS, MAX_STORED_VISITS, mergeAnswers, mergeVisits, splitText } from "./answers";
import { findOutcome, findOutcomeBySession, runOnce, type IdempotentResult, type Outcome } from "./idempotency";
import { batteryOf, loadContext, openAndLock, openAndLockMany, readResponse, recordOnly, writeAutosave, writeDecline, writeSubmissions, type CallContext, type ResponseRow, type SubmissionWrite } from "./store";
import type { CriticalEvent, CriticalItem, OnCritical } from "./submit";
import { scoreSubmission } from "./submit";
import { studentSurveyRoutes } from "./survey";
import { alertOnCritical } from "../alerts/raise";

export interface ResponseRoutesOptions {
  readonly deps: Deps;
  /** Called in the submission's transaction when a response holds a critical answer (the alerts feature). */
  readonly onCritical?: OnCritical;
}

/** The response was submitted or declined already: 409 with its id, so the page can show the end page. */
class FinishedError extends ApiError {
  constructor(
    readonly status: "submitted" | "declined",
    readonly responseId: string,
  ) {
    super(409, status === "submitted" ? "already_submitted" : "already_declined", status === "submitted" ? "this survey was handed in already" : "this survey was declined already");
  }
}

/** Most submits written in one batch (a lab is 40-60 students). */
const SUBMIT_BATCH = 64;

const textContext = (responseId: string): string => `responses.text_enc:${responseId}`;

function readTexts(deps: Deps, row: ResponseRow): StoredTexts {
  return row.textEnc === null ? {} : (JSON.parse(decrypt(deps.keys, row.textEnc, textContext(row.id))) as StoredTexts);
}

function sealTexts(deps: Deps, responseId: string, texts: StoredTexts): string | null {
  return Object.keys(texts).length === 0 ? null : encrypt(deps.keys, JSON.stringify(texts), textContext(responseId));
}

function throwIfProblems(problems: readonly AnswerProblem[]): void {
  if (problems.length === 0) return;
  const shown = problems.slice(0, MAX_PROBLEMS);
  const more = problems.length - shown.length;
  throw badRequest("invalid_answers", more > 0 ? `${problems.length} answers do not fit the survey (the first ${MAX_PROBLEMS} are listed)` : "some answers do not fit the survey", shown);
}

/** Refuses a closed wave and an opted-out student. */
function checkOpen(ctx: CallContext, now: Date): void {
  if (ctx.waveStatus !== "open" || now.getTime() < ctx.opensAt.getTime() || now.getTime() >= ctx.closesAt.getTime()) {
    throw new ApiError(409, "wave_closed", "this screening is not open now");
  }
  if (ctx.consent === "opted-out") throw new ApiError(403, "opted_out", "your guardian chose that you do not take part in this screening");
}

/** Checks a save against the battery the response belongs to. */
function checkSave(instruments: readonly Instrument[], save: { answers?: AnswersBody | undefined; pages?: readonly { instrument: string; startedAt: number; endedAt: number }[] | undefined; currentPage?: number | undefined }): void {
  throwIfProblems([
    ...(save.answers ? checkAnswers(instruments, save.answers) : []),
    ...(save.pages ? checkVisits(instruments, save.pages) : []),
    ...(save.currentPage === undefined ? [] : checkCurrentPage(instruments, save.currentPage)),
  ]);
}

/** A save merged into the row: choice answers, encrypted free text (re-sealed only when text changed), page visits. */
function mergeSave(deps: Deps, row: ResponseRow, instruments: readonly Instrument[], answers: AnswersBody | undefined, pages: readonly { instrument: string; startedAt: number; endedAt: number }[] | undefined) {
  const { choices, texts } = splitText(instruments, answers ?? {});
  const mergedChoices = mergeAnswers(row.answers, choices);
  const textChanged = Object.keys(texts).length > 0;
  const storedTexts = readTexts(deps, row);
  const mergedTexts = textChanged ? mergeAnswers<string>(storedTexts, texts) : storedTexts;
  const visits = mergeVisits(row.pages, pages ?? []);
  if (visits.length > MAX_STORED_VISITS) {
    throw badRequest("invalid_answers", "too many page visits", [{ code: "too_many_pages", path: "pages", message: `at most ${MAX_STORED_VISITS} page visits are kept` }]);
  }
  return {
    choices: mergedChoices,
    texts: mergedTexts,
    textEnc: textChanged ? sealTexts(deps, row.id, mergedTexts) : row.textEnc,
    visits,
  };
}

/** Sends a (possibly recorded) reply; recorded replies keep the status they were first sent with. */
function sendOutcome(reply: FastifyReply, statusCode: number, body: unknown): FastifyReply {
  return reply.status(statusCode).send(body);
}

function sendFinished(reply: FastifyReply, err: FinishedError) {
  return reply.status(409).send({ error: { code: err.code, message: err.message }, responseId: err.responseId });
}

/** Runs a handler, turning a FinishedError into its 409 body with the response id. */
async function finishing<T>(reply: FastifyReply, run: () => Promise<T>): Promise<T | FastifyReply> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof FinishedError) return sendFinished(reply, err);
    throw err;
  }
}

/** Staff sessions and calls with no session at all never reach a handler. */
async function studentOnly(request: FastifyRequest): Promise<void> {
  requireStudent(request);
}

/**
 * Like `studentOnly`, but lets a call through whose session cookie no longer resolves: a submit or decline
 * ends the session, and the retry of one whose reply was lost must still get that reply (the handler
 * answers it from the recorded reply of that session and key, or 401).
 */
async function studentOrEndedSession(request: FastifyRequest): Promise<void> {
  if (request.actor.kind === "anonymous" && readSessionToken(request.headers.cookie) !== undefined) return;
  requireStudent(request);
}

/** The recorded reply of a finishing call made on the (now ended) session of this request, if any. */
async function replayOfEndedSession<T>(deps: Deps, request: FastifyRequest, key: string): Promise<Outcome<T> | undefined> {
  if (request.actor.kind !== "anonymous") return undefined;
  const token = readSessionToken(request.headers.cookie);
  return token === undefined ? undefined : findOutcomeBySession<T>(deps.db, hashToken(token), key);
}

// Default hook (issue 6): a critical answer raises an alert in the submission's transaction (alerts/raise.ts).
export const responseRoutes: FastifyPluginAsync<ResponseRoutesOptions> = async (base, { deps, onCritical = alertOnCritical(deps) }) => {
  const app = base.withTypeProvider<ZodTypeProvider>();
  await app.register(studentSurveyRoutes, { deps }); // GET /api/student/survey (./survey.ts)

  app.get("/api/student/response", { preValidation: studentOnly, schema: { response: { 200: ResponseStateSchema } } }, async (request): Promise<ResponseState> => {
    const student = requireStudent(request);
    const ctx = await loadContext(deps.db, student.studentId, student.waveId);
    if (!ctx) throw new ApiError(401, "unauthenticated", "enter your access code first");
    checkOpen(ctx, deps.now());
    const row = await readResponse(deps.db, student.waveId, student.studentId);
    const { battery } = batteryOf(ctx, row?.batteryId);
    const state = { battery: { id: battery.id, instruments: [...battery.selfReport] } };
    if (!row) return { status: "not-started", currentPage: 0, seq: 0, answers: {}, pages: [], ...state };
    if (row.status !== "in-progress") return { status: row.status, currentPage: 0, seq: row.seq, answers: {}, pages: [], ...state };
    const answers = mergeAnswers<string | number | (string | number)[]>(row.answers, readTexts(deps, row));
    return { status: "in-progress", currentPage: row.currentPage, seq: row.seq, answers, pages: row.pages, ...state };
  });

  /**
   * Opens the call's transaction: context and response row in one statement, then the checks. A reply
   * recorded under the key is returned before any check (the retry of a call that went through).
   */
  async function begin(tx: Queryable, student: StudentActor, now: Date, ref: { scope: string; key: string }) {
    const opened = await openAndLock(tx, { newId: deps.newId(), waveId: student.waveId, studentId: student.studentId, now, idempotency: ref });
    if (!opened) throw new ApiError(401, "unauthenticated", "enter your access code first");
    const { ctx, row } = opened;
    if (ctx.prior) return { prior: ctx.prior, ctx, row };
    checkOpen(ctx, now);
    if (row.status !== "in-progress") throw new FinishedError(row.status, row.id);
    return { prior: null, ctx, row, ...batteryOf(ctx, row.batteryId) };
  }

  app.put("/api/student/response", { preValidation: studentOnly, schema: { body: AutosaveBody, response: { 200: AutosaveReplySchema } } }, async (request, reply) => {
    const student = requireStudent(request);
    const body = request.body;
    const now = deps.now();
    const ref = { scope: student.studentId, key: `autosave:${body.idempotencyKey}` };
    return finishing(reply, async () => {
      const result = await runOnce<AutosaveReply>(deps.db, ref, async (tx) => {
        const open = await begin(tx, student, now, ref);
        if (open.prior) return { ...(open.prior as Outcome<AutosaveReply>), replayed: true };
        const { row, battery, instruments } = open;
        checkSave(instruments!, body);
        const record = (out: AutosaveReply) => ({ ...ref, sessionHash: null, statusCode: 200, body: out });
        if (body.seq <= row.seq) {
          const out: AutosaveReply = { status: "in-progress", seq: row.seq, applied: false };
          await recordOnly(tx, record(out), now);
          return { statusCode: 200, body: out, replayed: false };
        }
        const merged = mergeSave(deps, row, instruments!, body.answers, body.pages);
        const out: AutosaveReply = { status: "in-progress", seq: body.seq, applied: true };
        await writeAutosave(tx, row.id, { batteryId: battery!.id, answers: merged.choices, textEnc: merged.textEnc, pages: merged.visits, currentPage: body.currentPage, seq: body.seq, now }, record(out));
        return { statusCode: 200, body: out, replayed: false };
      });
      return sendOutcome(reply, result.statusCode, result.body);
    });
  });

  interface SubmitJob {
    readonly student: StudentActor;
    readonly body: SubmitBody;
    readonly ref: { readonly scope: string; readonly key: string };
    readonly now: Date;
  }

  /** Checks and scores one opened submission: what to write, the critical event if any, and the reply. */
  function prepareSubmit(job: SubmitJob, opened: { ctx: CallContext; row: ResponseRow }): { replay: IdempotentResult<SubmitReply> } | { write: SubmissionWrite; critical: CriticalEvent | null; reply: IdempotentResult<SubmitReply> } {
    const { ctx, row } = opened;
    if (ctx.prior) return { replay: { ...(ctx.prior as Outcome<SubmitReply>), replayed: true } };
    checkOpen(ctx, job.now);
    if (row.status !== "in-progress") throw new FinishedError(row.status, row.id);
    const { battery, instruments } = batteryOf(ctx, row.batteryId);
    const policy = policies.get(ctx.policyVersion);
    if (!policy) throw new ApiError(500, "unknown_policy", "this wave's survey set-up is damaged; please tell the school");
    checkSave(instruments, job.body);
    const merged = mergeSave(deps, row, instruments, job.body.answers, job.body.pages);
    const submission = scoreSubmission({
      instruments,
      answers: mergeAnswers<string | number | (string | number)[]>(merged.choices, merged.texts),
      visits: merged.visits,
      grade: ctx.grade,
      keyPopulation: ctx.keyPopulation,
      policy,
    });
    const out: SubmitReply = { responseId: row.id, status: "submitted", critical: submission.critical.length > 0 };
    const { student, now } = job;
    const write: SubmissionWrite = {
      at: { id: row.id, waveId: student.waveId, studentId: student.studentId, now },
      save: { batteryId: battery.id, answers: merged.choices, textEnc: merged.textEnc, pages: merged.visits },
      result: { scores: submission.scores, validity: submission.validity, tier: submission.tier.tier, reasons: submission.tier.reasons, policyVersion: submission.tier.policyVersion },
      record: { ...job.ref, sessionHash: student.sessionHash, statusCode: 200, body: out },
    };
    const critical: CriticalEvent | null =
      submission.critical.length === 0 ? null : { responseId: row.id, studentId: student.studentId, schoolId: ctx.schoolId, waveId: student.waveId, items: submission.critical, trigger: "submitted", tier: submission.tier, at: now };
    return { write, critical, reply: { statusCode: 200, body: out, replayed: false } };
  }

  /**
   * Submits of different students in one transaction of two statements plus their alerts (group commit:
   * a lab's burst shares the statements). A job that fails its checks fails alone; when the transaction
   * itself fails (e.g. another app instance recorded the same key), each job is tried again on its own,
   * where a reply recorded meanwhile under its key wins.
   */
  async function submitBatch(jobs: readonly SubmitJob[]): Promise<Settled<IdempotentResult<SubmitReply>>[]> {
    try {
      return await deps.db.transaction(async (tx) => {
        const opened = await openAndLockMany(tx, jobs.map((j) => ({ newId: deps.newId(), waveId: j.student.waveId, studentId: j.student.studentId, now: j.now, idempotency: j.ref })));
        const writes: SubmissionWrite[] = [];
        const critical: CriticalEvent[] = [];
        const settled = jobs.map((job, i): Settled<IdempotentResult<SubmitReply>> => {
          const open = opened.get(i);
          if (!open) return { ok: false, error: new ApiError(401, "unauthenticated", "enter your access code first") };
          try {
            const prepared = prepareSubmit(job, open);
            if ("replay" in prepared) return { ok: true, value: prepared.replay };
            writes.push(prepared.write);
            if (prepared.critical) critical.push(prepared.critical);
            return { ok: true, value: prepared.reply };
          } catch (error) {
            return { ok: false, error };
          }
        });
        await writeSubmissions(tx, writes);
        if (critical.length > 0) await onCritical(tx, critical);
        return settled;
      });
    } catch (err) {
      if (jobs.length > 1) return Promise.all(jobs.map(async (job) => (await submitBatch([job]))[0]!));
      const raced = await findOutcome<SubmitReply>(deps.db, jobs[0]!.ref);
      return [raced ? { ok: true, value: { ...raced, replayed: true } } : { ok: false, error: err }];
    }
  }

  /** One student per batch: a second submit of the same student (a double click) waits for the next one. */
  const submitQueue = createBatcher<SubmitJob, IdempotentResult<SubmitReply>>(async (jobs) => {
    const seen = new Set<string>();
    const first: number[] = [];
    const later: number[] = [];
    jobs.forEach((j, i) => (seen.has(j.student.studentId) ? later : (seen.add(j.student.studentId), first)).push(i));
    const out: Settled<IdempotentResult<SubmitReply>>[] = [];
    const firstOut = await submitBatch(first.map((i) => jobs[i]!));
    first.forEach((i, k) => (out[i] = firstOut[k]!));
    for (const i of later) out[i] = (await submitBatch([jobs[i]!]))[0]!;
    return out;
  }, SUBMIT_BATCH);
  const submit = (job: SubmitJob): Promise<IdempotentResult<SubmitReply>> => submitQueue(job);

  app.post("/api/student/response/submit", { preValidation: studentOrEndedSession, schema: { body: SubmitBody, response: { 200: SubmitReplySchema } } }, async (request, reply) => {
    const body = request.body;
    const key = `submit:${body.idempotencyKey}`;
    const ended = await replayOfEndedSession<SubmitReply>(deps, request, key);
    if (ended) {
      clearSessionCookie(deps, reply);
      return sendOutcome(reply, ended.statusCode, ended.body);
    }
    const student = requireStudent(request);
    return finishing(reply, async () => {
      const result = await submit({ student, body, ref: { scope: student.studentId, key }, now: deps.now() });
      clearSessionCookie(deps, reply);
      return sendOutcome(reply, result.statusCode, result.body);
    });
  });

  app.post("/api/student/response/decline", { preValidation: studentOrEndedSession, schema: { body: DeclineBody, response: { 200: DeclineReplySchema } } }, async (request, reply) => {
    const key = `decline:${request.body.idempotencyKey}`;
    const ended = await replayOfEndedSession<DeclineReply>(deps, request, key);
    if (ended) {
      clearSessionCookie(deps, reply);
      return sendOutcome(reply, ended.statusCode, ended.body);
    }
    const student = requireStudent(request);
    const now = deps.now();
    const ref = { scope: student.studentId, key };
    return finishing(reply, async () => {
      const result = await runOnce<DeclineReply>(deps.db, ref, async (tx) => {
        const open = await begin(tx, student, now, ref);
        if (open.prior) return { ...(open.prior as Outcome<DeclineReply>), replayed: true };
        const { ctx, row, battery, instruments } = open;
        // Declining drops the saved answers, but a critical answer already saved still reaches a counselor
        // (ARCHITECTURE.md: critical answers always do).
        const critical = savedCriticalItems(instruments!, row.answers);
        const out: DeclineReply = { responseId: row.id, status: "declined" };
        await writeDecline(tx, { id: row.id, waveId: student.waveId, studentId: student.studentId, batteryId: battery!.id, now }, { ...ref, sessionHash: student.sessionHash, statusCode: 200, body: out });
        if (critical.length > 0) {
          await onCritical(tx, [{ responseId: row.id, studentId: student.studentId, schoolId: ctx.schoolId, waveId: student.waveId, items: critical, trigger: "declined", tier: null, at: now }]);
        }
        return { statusCode: 200, body: out, replayed: false };
      });
      clearSessionCookie(deps, reply);
      return sendOutcome(reply, result.statusCode, result.body);
    });
  });
};

/** Critical answers among saved choice answers (critical items are choice items). */
function savedCriticalItems(instruments: readonly Instrument[], answers: Readonly<Record<string, Answers>>): CriticalItem[] {
  return instruments.flatMap((inst) => criticalItems(inst, answers[inst.id] ?? {}).map((item) => ({ instrument: inst.id, item })));
}
