/**
 * Feedback (反馈) of a case step (issue 6), for counselors and the school lead (case.manage):
 * - GET  /api/cases/:id/feedback — the templates the case's steps allow and what was sent;
 * - POST /api/cases/:id/feedback {template} — sends (homeroom: into the teacher's notices) or records as
 *   sent (guardians: the counselor tells them); once per template per case; audited.
 * A template whose step the case has not reached answers 409 `feedback_step_not_reached`. The words are
 * fixed (src/shared/feedback.ts): no score, tier or note ever goes out.
 */
import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { CaseFeedback, FEEDBACK_TEMPLATES, FeedbackParams, SendFeedbackBody, SentFeedback, type FeedbackTemplate } from "../../../shared/feedback";
import { requireStaff } from "../../auth/plugin";
import { isUniqueViolation, type Queryable } from "../../db/database";
import type { Deps } from "../../deps";
import { conflict, notFound } from "../../errors";
import { writeAudit } from "../alerts/audit";
import { accountName } from "../alerts/store";
import { caseSchoolOf } from "./routes";
import { readCaseRow, type CaseRow } from "./store";

const TEMPLATE = new Map(FEEDBACK_TEMPLATES.map((t) => [t.id, t]));

interface FeedbackRow extends Record<string, unknown> {
  id: string;
  template: string;
  audience: "homeroom" | "guardian";
  sent_at: Date;
  sent_by: string;
  by_name_enc: string | null;
  by_username: string;
  read_at: Date | null;
}

/** The templates a case may send now: those whose step the case has taken, not yet sent. */
export function availableTemplates(stepKinds: ReadonlySet<string>, sent: ReadonlySet<string>): FeedbackTemplate[] {
  return FEEDBACK_TEMPLATES.filter((t) => stepKinds.has(t.step) && !sent.has(t.id));
}

async function stepKindsOf(q: Queryable, caseId: string): Promise<Set<string>> {
  const { rows } = await q.query<{ kind: string }>("SELECT DISTINCT kind FROM case_steps WHERE case_id = $1", [caseId]);
  return new Set(rows.map((r) => r.kind));
}

export const feedbackRoutes: FastifyPluginAsync<{ deps: Deps }> = async (base, { deps }) => {
  const app = base.withTypeProvider<ZodTypeProvider>();

  async function caseOf(schoolId: string, id: string): Promise<CaseRow> {
    const row = await readCaseRow(deps.db, id);
    if (!row || row.school_id !== schoolId) throw notFound("no such case / 无此个案");
    return row;
  }

  async function sentOf(caseId: string): Promise<SentFeedback[]> {
    const { rows } = await deps.db.query<FeedbackRow>(
      `SELECT f.id, f.template, f.audience, f.sent_at, f.sent_by, a.display_name_enc AS by_name_enc, a.username AS by_username, f.read_at
         FROM case_feedback f JOIN accounts a ON a.id = f.sent_by WHERE f.case_id = $1 ORDER BY f.sent_at, f.id`,
      [caseId],
    );
    return rows.map((r) => ({
      id: r.id,
      template: r.template,
      step: TEMPLATE.get(r.template)?.step ?? "",
      audience: r.audience,
      text: { ...(TEMPLATE.get(r.template)?.text ?? { "zh-CN": "", en: "" }) },
      sentAt: r.sent_at.toISOString(),
      sentBy: { id: r.sent_by, name: accountName(deps.keys, r.sent_by, r.by_name_enc, r.by_username) },
      readAt: r.read_at?.toISOString() ?? null,
    }));
  }

  app.get("/api/cases/:id/feedback", { schema: { params: FeedbackParams, response: { 200: CaseFeedback } } }, async (request) => {
    const actor = requireStaff(request);
    const row = await caseOf(caseSchoolOf(actor), request.params.id);
    const sent = await sentOf(row.id);
    const available = availableTemplates(await stepKindsOf(deps.db, row.id), new Set(sent.map((s) => s.template)));
    return { available: available.map((t) => ({ id: t.id, step: t.step, audience: t.audience, text: { ...t.text } })), sent };
  });

  app.post("/api/cases/:id/feedback", { schema: { params: FeedbackParams, body: SendFeedbackBody, response: { 201: SentFeedback } } }, async (request, reply) => {
    const actor = requireStaff(request);
    const row = await caseOf(caseSchoolOf(actor), request.params.id);
    const template = TEMPLATE.get(request.body.template)!;
    if (!(await stepKindsOf(deps.db, row.id)).has(template.step)) {
      throw conflict("feedback_step_not_reached", `this message follows the "${template.step}" step, which the case has not taken / 个案尚未进行到该步骤`);
    }
    const id = deps.newId();
    const now = deps.now();
    try {
      await deps.db.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO case_feedback (id, case_id, school_id, student_id, class_id, audience, template, sent_by, sent_at)
           SELECT $1, $2, $3, $4, CASE WHEN $5 = 'homeroom' THEN st.class_id END, $5, $6, $7, $8 FROM students st WHERE st.id = $4`,
          [id, row.id, row.school_id, row.student_id, template.audience, template.id, actor.accountId, now],
        );
        await writeAudit(tx, [{ at: now, actor, action: "case.feedback", schoolId: row.school_id, studentId: row.student_id, subject: row.id, context: { template: template.id, audience: template.audience }, address: request.ip }]);
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw conflict("feedback_already_sent", "this message was already sent for this case / 该反馈已发送");
      throw e;
    }
    const sent = (await sentOf(row.id)).find((s) => s.id === id)!;
    return reply.status(201).send(sent);
  });
};
