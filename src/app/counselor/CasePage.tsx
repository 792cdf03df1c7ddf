/**
 * One case (/counselor/cases/:id): who, tier, state, due date and whether it is overdue; the timeline of
 * steps; the fixed feedback messages of the steps taken (FeedbackPanel); and a small form for the next
 * step (only the steps the server allows), each posting to /api/cases/:id/steps. Notes are shown as text,
 * never as HTML.
 */
import { useEffect, useId, useState, type FormEvent, type ReactNode } from "react";
import type { CaseDetail, CasePlan, StepKind } from "../../shared/cases";
import { staffApi } from "../staff/client";
import { failureText } from "../staff/model";
import { UserText } from "../ui/UserText";
import { TierBadge } from "./AlertViews";
import { FeedbackPanel } from "./FeedbackPanel";
import {
  CASE_STATE_LABEL,
  CASE_TIER_LABEL,
  chinaDay,
  classText,
  dueText,
  emptyStepForm,
  formatDateTime,
  PLAN_LABEL,
  PLANS,
  STEP_LABEL,
  stepBodyOf,
  stepChoices,
  studentPath,
  timelineOf,
  type FieldError,
  type StepForm,
} from "./model";

type Loaded = { kind: "loading" } | { kind: "failed"; message: string } | { kind: "ready"; detail: CaseDetail };

export function CasePage({ caseId }: { caseId: string }) {
  const [state, setState] = useState<Loaded>({ kind: "loading" });
  const [version, setVersion] = useState(0);
  useEffect(() => {
    let live = true;
    void staffApi.get<CaseDetail>(`/api/cases/${encodeURIComponent(caseId)}`).then((result) => {
      if (live) setState(result.ok ? { kind: "ready", detail: result.data } : { kind: "failed", message: failureText(result) });
    });
    return () => {
      live = false;
    };
  }, [caseId, version]);

  if (state.kind === "loading") return <p>正在加载… Loading…</p>;
  if (state.kind === "failed") return <p role="alert">{state.message}</p>;
  const c = state.detail;
  return (
    <>
      <section aria-labelledby="case" className="xq-section" data-testid="case" data-state={c.state} data-overdue={c.overdue}>
        <h2 id="case">
          <a href={studentPath(c.studentId)}>
            <UserText text={c.studentName} />
          </a>{" "}
          · <UserText text={classText(c.class)} />
        </h2>
        <dl className="xq-facts">
          <dt>等级 · Tier</dt>
          <dd>
            <TierBadge tier={c.tier} label={CASE_TIER_LABEL[c.tier]} />
          </dd>
          <dt>进度 · State</dt>
          <dd data-testid="case-state">
            {CASE_STATE_LABEL[c.state]}
            {c.plan !== null && ` · ${PLAN_LABEL[c.plan]}`}
          </dd>
          <dt>截止 · Due</dt>
          <dd className={c.overdue ? "xq-overdue-text" : undefined} data-testid="case-due">
            {dueText(c)}
            {c.escalatedAt !== null && ` · 已上报学校负责人 · Escalated ${formatDateTime(c.escalatedAt)}`}
          </dd>
          <dt>负责人 · Counselor</dt>
          <dd>
            <UserText text={c.assignee.name} />
          </dd>
          <dt>建档 · Opened</dt>
          <dd>{formatDateTime(c.openedAt)}</dd>
          <dt>建档原因 · Reason</dt>
          <dd className="xq-text">
            <UserText text={c.reason} />
          </dd>
        </dl>
      </section>

      <section aria-labelledby="timeline" className="xq-section">
        <h2 id="timeline">过程记录 · Timeline</h2>
        <ol className="xq-timeline" data-testid="timeline">
          {timelineOf(c.steps).map((s) => (
            <li key={s.id}>
              <p>
                <strong>{s.title}</strong> · {s.at} · <UserText text={s.by} />
              </p>
              {s.details.length > 0 && (
                <dl className="xq-facts">
                  {s.details.map((d) => (
                    <div key={d.label}>
                      <dt>{d.label}</dt>
                      <dd className="xq-text">
                        <UserText text={d.value} />
                      </dd>
                    </div>
                  ))}
                </dl>
              )}
            </li>
          ))}
        </ol>
      </section>

      {/* Read again after each step: a new step may allow new messages. */}
      <FeedbackPanel key={`feedback-${c.steps.length}`} caseId={c.id} />

      {c.allowed.length > 0 && <NextStep key={c.steps.length} detail={c} onSaved={(d) => setState({ kind: "ready", detail: d })} onConflict={() => setVersion((v) => v + 1)} />}
    </>
  );
}

function NextStep({ detail, onSaved, onConflict }: { detail: CaseDetail; onSaved: (d: CaseDetail) => void; onConflict: () => void }) {
  const choices = stepChoices(detail.allowed);
  const [kind, setKind] = useState<StepKind>(choices[0]!);
  const [form, setForm] = useState<StepForm>(() => emptyStepForm(chinaDay(new Date()) ?? ""));
  const [errors, setErrors] = useState<readonly FieldError[]>([]);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const set = <K extends keyof StepForm>(field: K, value: StepForm[K]) => setForm((f) => ({ ...f, [field]: value }));
  const errorOf = (field: keyof StepForm) => errors.find((e) => e.field === field)?.message;

  async function submit(event: FormEvent) {
    event.preventDefault();
    const built = stepBodyOf(kind, form);
    if (!built.ok) {
      setErrors(built.errors);
      return;
    }
    setErrors([]);
    setBusy(true);
    setMessage(null);
    const result = await staffApi.post<CaseDetail>(`/api/cases/${encodeURIComponent(detail.id)}/steps`, built.body);
    setBusy(false);
    if (!result.ok) {
      setMessage(failureText(result));
      // Someone else moved the case meanwhile: read it again.
      if (result.kind === "http" && result.status === 409) onConflict();
      return;
    }
    onSaved(result.data);
  }

  const field = (name: keyof StepForm, label: string, input: (id: string, describedBy: string | undefined) => ReactNode) => (
    <Field label={label} error={errorOf(name)}>
      {input}
    </Field>
  );
  const dateInput = (label: string) =>
    field("date", label, (id, describedBy) => <input id={id} type="date" value={form.date} onChange={(e) => set("date", e.target.value)} required aria-invalid={describedBy !== undefined} aria-describedby={describedBy} />);
  const textArea = (name: "notes" | "outcome" | "reason" | "returnPlan", label: string, required: boolean) =>
    field(name, label, (id, describedBy) => <textarea id={id} rows={4} value={form[name]} onChange={(e) => set(name, e.target.value)} required={required} aria-invalid={describedBy !== undefined} aria-describedby={describedBy} />);
  const due =
    kind === "acknowledge" || kind === "close"
      ? null
      : field("dueDate", "下一步截止日期（可选）· Next step due (optional)", (id, describedBy) => (
          <input id={id} type="date" value={form.dueDate} onChange={(e) => set("dueDate", e.target.value)} aria-invalid={describedBy !== undefined} aria-describedby={describedBy} />
        ));

  return (
    <section aria-labelledby="next-step" className="xq-section">
      <h2 id="next-step">下一步 · Next step</h2>
      <form className="xq-form xq-card" onSubmit={submit} data-testid="step-form" data-kind={kind}>
        <Field label="步骤 · Step">
          {(id) => (
            <select id={id} value={kind} onChange={(e) => setKind(e.target.value as StepKind)}>
              {choices.map((k) => (
                <option key={k} value={k}>
                  {STEP_LABEL[k]}
                </option>
              ))}
            </select>
          )}
        </Field>
        {kind === "interview" && (
          <>
            {dateInput("约谈日期 · Interview date")}
            {textArea("notes", "约谈记录 · Interview notes", true)}
          </>
        )}
        {kind === "plan" && (
          <>
            {field(
              "plan",
              "方案 · Plan",
              (id, describedBy) => (
                <select id={id} value={form.plan} onChange={(e) => set("plan", e.target.value as CasePlan | "")} required aria-invalid={describedBy !== undefined} aria-describedby={describedBy}>
                  <option value="">请选择 · Choose</option>
                  {PLANS.map((p) => (
                    <option key={p} value={p}>
                      {PLAN_LABEL[p]}
                    </option>
                  ))}
                </select>
              ),
            )}
            {textArea("notes", "方案说明（可选）· Notes (optional)", false)}
          </>
        )}
        {kind === "referral" && (
          <>
            {field("hospital", "转介医院 · Hospital", (id, describedBy) => (
              <input id={id} value={form.hospital} onChange={(e) => set("hospital", e.target.value)} required maxLength={200} aria-invalid={describedBy !== undefined} aria-describedby={describedBy} />
            ))}
            {dateInput("转介日期 · Referral date")}
            <label className="xq-check">
              <input type="checkbox" checked={form.greenChannel} onChange={(e) => set("greenChannel", e.target.checked)} />
              绿色通道 · Green channel
            </label>
            {textArea("outcome", "转介结果（可选）· Outcome (optional)", false)}
          </>
        )}
        {kind === "follow-up" && (
          <>
            {dateInput("随访日期 · Follow-up date")}
            {textArea("notes", "随访记录（可选）· Notes (optional)", false)}
          </>
        )}
        {kind === "return" && (
          <>
            {dateInput("复学日期 · Return date")}
            {textArea("returnPlan", "复学计划 · Return plan", true)}
          </>
        )}
        {kind === "close" && textArea("reason", "结案原因 · Reason for closing", true)}
        {kind === "acknowledge" && <p>确认已收到本个案并负责跟进。Acknowledge that you have taken this case on.</p>}
        {due}
        {message && <p role="alert">{message}</p>}
        <button type="submit" disabled={busy}>
          记录此步骤 · Record this step
        </button>
      </form>
    </section>
  );
}

/** A label and its control (not wrapped: the label alone names the control), with the field's error. */
function Field({ label, error, children }: { label: string; error?: string | undefined; children: (id: string, describedBy: string | undefined) => ReactNode }) {
  const id = useId();
  const errorId = `${id}-error`;
  return (
    <div className="xq-field">
      <label htmlFor={id}>{label}</label>
      {children(id, error === undefined ? undefined : errorId)}
      {error !== undefined && (
        <span id={errorId} className="xq-field-error" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}
