/**
 * Feedback (反馈) on a case page: for each step the case has reached, the fixed messages to the homeroom
 * teacher and to the guardians (GET /api/cases/:id/feedback), each either sent (when, by whom) or with a
 * button that, once confirmed, sends it to the teacher's notices or records that the guardians were told
 * (POST /api/cases/:id/feedback). The counselor picks a template, never writes: nothing else can go out.
 */
import { useEffect, useRef, useState, type ReactNode } from "react";
import type { CaseFeedback, SentFeedback } from "../../shared/feedback";
import { staffApi } from "../staff/client";
import { failureText } from "../staff/model";
import { FEEDBACK_ACTION, feedbackGroups, sentFeedbackLines, withSentFeedback, type FeedbackItem } from "./model";

type Loaded = { kind: "loading" } | { kind: "failed"; message: string } | { kind: "ready"; feedback: CaseFeedback };

export function FeedbackPanel({ caseId }: { caseId: string }) {
  const [state, setState] = useState<Loaded>({ kind: "loading" });
  const [version, setVersion] = useState(0);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [sending, setSending] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    void staffApi.get<CaseFeedback>(`/api/cases/${encodeURIComponent(caseId)}/feedback`).then((result) => {
      if (live) setState(result.ok ? { kind: "ready", feedback: result.data } : { kind: "failed", message: failureText(result) });
    });
    return () => {
      live = false;
    };
  }, [caseId, version]);

  async function send(item: FeedbackItem) {
    setSending(item.template);
    setError(null);
    setDone(null);
    const result = await staffApi.post<SentFeedback>(`/api/cases/${encodeURIComponent(caseId)}/feedback`, { template: item.template });
    setSending(null);
    setConfirming(null);
    if (!result.ok) {
      setError(failureText(result));
      // Sent from another page meanwhile, or the case moved: read the list again so it shows what is true.
      if (result.kind === "http" && result.status === 409) setVersion((v) => v + 1);
      return;
    }
    setState((s) => (s.kind === "ready" ? { kind: "ready", feedback: withSentFeedback(s.feedback, result.data) } : s));
    setDone(FEEDBACK_ACTION[item.audience].done);
  }

  let body: ReactNode;
  if (state.kind === "loading") body = <p>正在加载… Loading…</p>;
  else if (state.kind === "failed") body = <p role="alert">{state.message}</p>;
  else {
    const groups = feedbackGroups(state.feedback);
    body =
      groups.length === 0 ? (
        <p className="xq-muted">约谈后即可向班主任或家长反馈。· Feedback can be given once the student has been interviewed.</p>
      ) : (
        groups.map((g) => (
          <div key={g.step ?? "other"} className="xq-feedback-group">
            <h3>{g.title}</h3>
            <ul className="xq-plain-list">
              {g.items.map((item) => (
                <FeedbackEntry
                  key={item.template}
                  item={item}
                  confirming={confirming === item.template}
                  sending={sending === item.template}
                  locked={sending !== null}
                  onAsk={() => {
                    setConfirming(item.template);
                    setError(null);
                    setDone(null);
                  }}
                  onCancel={() => setConfirming(null)}
                  onConfirm={() => void send(item)}
                />
              ))}
            </ul>
          </div>
        ))
      );
  }

  return (
    <section aria-labelledby="feedback" className="xq-section" data-testid="feedback">
      <h2 id="feedback">反馈 · Feedback</h2>
      <p className="xq-muted">
        以下为固定内容，不含分数、等级或个案记录，不能修改。· The words are fixed: no score, tier or case notes, and they cannot be edited.
      </p>
      {body}
      {error && <p role="alert">{error}</p>}
      {done && <p role="status">{done}</p>}
    </section>
  );
}

interface EntryProps {
  readonly item: FeedbackItem;
  readonly confirming: boolean;
  readonly sending: boolean;
  /** Some message is being sent: every button waits. */
  readonly locked: boolean;
  readonly onAsk: () => void;
  readonly onCancel: () => void;
  readonly onConfirm: () => void;
}

function FeedbackEntry({ item, confirming, sending, locked, onAsk, onCancel, onConfirm }: EntryProps) {
  const action = FEEDBACK_ACTION[item.audience];
  const textId = `feedback-text-${item.template}`;
  const confirmRef = useRef<HTMLButtonElement>(null);
  const askRef = useRef<HTMLButtonElement>(null);
  const wasConfirming = useRef(false);
  // Keyboard users land on the question's button when it appears, and back on the first button after it.
  useEffect(() => {
    if (confirming) confirmRef.current?.focus();
    else if (wasConfirming.current) askRef.current?.focus();
    wasConfirming.current = confirming;
  }, [confirming]);

  return (
    <li className="xq-card xq-feedback" data-testid="feedback-item" data-template={item.template} data-audience={item.audience} data-sent={item.sent !== null}>
      <p className="xq-feedback-to">{action.to}</p>
      <blockquote id={textId} className="xq-feedback-text">
        <p lang="zh-CN">{item.text["zh-CN"]}</p>
        <p lang="en" className="xq-muted">
          {item.text.en}
        </p>
      </blockquote>
      {item.sent !== null ? (
        sentFeedbackLines(item).map((line) => (
          <p key={line} className="xq-feedback-sent">
            {line}
          </p>
        ))
      ) : confirming ? (
        <div className="xq-feedback-confirm" role="group" aria-label={action.button}>
          <p>{action.question}</p>
          <div className="xq-inline-form">
            <button ref={confirmRef} type="button" disabled={locked} aria-describedby={textId} onClick={onConfirm}>
              {sending ? "正在提交… Sending…" : action.confirm}
            </button>
            <button type="button" disabled={locked} onClick={onCancel}>
              取消 · Cancel
            </button>
          </div>
        </div>
      ) : (
        <button ref={askRef} type="button" disabled={locked} aria-describedby={textId} onClick={onAsk}>
          {action.button}
        </button>
      )}
    </li>
  );
}
