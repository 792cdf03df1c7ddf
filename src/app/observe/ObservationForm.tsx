/**
 * One student's form, drawn from the form data the server sends: the teacher observation checklist (with
 * its free-text note) or the peer concern report. Multi-choice items are checkboxes, single-choice items
 * radios, text items a textarea (the text is sent verbatim and never rendered as HTML).
 */
import { useId, useState, type FormEvent } from "react";
import type { ObservationReply, ObserveForm, ObserveItem, ObserveStudent } from "../../shared/observations";
import { staffApi } from "../staff/client";
import { failureText } from "../staff/model";
import { bilingual, buildFileBody, criticalChosen, isBlank, MAX_TEXT, missingItems, setAnswer, studentLabel, toggleOption, type FormAnswers } from "./model";

export interface ObservationFormProps {
  readonly form: ObserveForm;
  readonly students: readonly ObserveStudent[];
  /** The student picker's label ("学生 · Student", "同学 · Classmate") and what to say when none is picked. */
  readonly pick: { readonly label: string; readonly missing: string };
  readonly submitLabel: string;
  /** Teachers are told that a critical answer reaches a counselor at once. */
  readonly criticalHint: boolean;
  /** Called after the server filed it; the form is then cleared. */
  readonly onFiled: (student: ObserveStudent) => void;
}

export function ObservationForm({ form, students, pick, submitLabel, criticalHint, onFiled }: ObservationFormProps) {
  const [studentId, setStudentId] = useState("");
  const [answers, setAnswers] = useState<FormAnswers>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const base = useId();

  async function submit(event: FormEvent) {
    event.preventDefault();
    const student = students.find((s) => s.id === studentId);
    if (!student) return setProblem(pick.missing);
    const missing = missingItems(form, answers);
    if (missing.length > 0) return setProblem(`请回答：${missing.map((it) => it.text["zh-CN"]).join("；")} · Please answer: ${missing.map((it) => it.text.en).join("; ")}`);
    if (isBlank(form, answers)) return setProblem("请至少勾选一项或写下观察到的情况。Tick at least one box or write what you observed.");
    setBusy(true);
    setProblem(null);
    const r = await staffApi.post<ObservationReply>("/api/observations", buildFileBody(student.id, form, answers));
    setBusy(false);
    if (!r.ok) return setProblem(failureText(r));
    setAnswers({});
    setStudentId("");
    onFiled(student);
  }

  return (
    <form className="xq-observe-form" onSubmit={(e) => void submit(e)} noValidate>
      {form.instructions && <p className="xq-instructions">{bilingual(form.instructions)}</p>}
      <label className="xq-field">
        {pick.label}
        <select value={studentId} onChange={(e) => setStudentId(e.target.value)} required>
          <option value="">请选择 · Choose</option>
          {students.map((s) => (
            <option key={s.id} value={s.id}>
              {studentLabel(s)}
            </option>
          ))}
        </select>
      </label>
      {form.items.map((item) => (
        <FormItem key={item.id} item={item} answers={answers} name={`${base}-${item.id}`} onChange={setAnswers} />
      ))}
      {criticalHint && criticalChosen(form, answers) && (
        <p className="xq-warning" role="note">
          提交后学校心理教师会立即收到提醒。如学生此刻有危险，请不要离开学生，并马上联系心理教师。
          <br />
          The school counselor is alerted as soon as you submit. If the student is in danger now, stay with them and call the counselor straight away.
        </p>
      )}
      {problem && <p role="alert">{problem}</p>}
      <button type="submit" className="xq-button" disabled={busy}>
        {submitLabel}
      </button>
    </form>
  );
}

function FormItem({ item, answers, name, onChange }: { item: ObserveItem; answers: FormAnswers; name: string; onChange: (next: FormAnswers) => void }) {
  const value = answers[item.id];
  const required = item.optional ? "" : " *";
  switch (item.type) {
    case "multi":
    case "single":
      return (
        <fieldset className="xq-fieldset">
          <legend>
            {item.text["zh-CN"]}
            {required} <span className="xq-en">{item.text.en}</span>
          </legend>
          {item.options.map((o) => {
            const checked = item.type === "multi" ? Array.isArray(value) && value.includes(o.value) : value === o.value;
            return (
              <label key={String(o.value)} className="xq-choice">
                <input
                  type={item.type === "multi" ? "checkbox" : "radio"}
                  name={name}
                  value={String(o.value)}
                  checked={checked}
                  onChange={(e) => onChange(item.type === "multi" ? toggleOption(answers, item, o.value, e.target.checked) : setAnswer(answers, item.id, o.value))}
                />
                {o.label["zh-CN"]} <span className="xq-en">{o.label.en}</span>
              </label>
            );
          })}
        </fieldset>
      );
    case "text":
      return (
        <label className="xq-field">
          <span>
            {item.text["zh-CN"]}
            {required} <span className="xq-en">{item.text.en}</span>
          </span>
          <textarea rows={4} maxLength={MAX_TEXT} value={typeof value === "string" ? value : ""} onChange={(e) => onChange(setAnswer(answers, item.id, e.target.value === "" ? null : e.target.value))} />
        </label>
      );
    case "number":
      return (
        <label className="xq-field">
          <span>
            {item.text["zh-CN"]}
            {required} <span className="xq-en">{item.text.en}</span>
          </span>
          <input
            type="number"
            min={item.min}
            max={item.max}
            step={1}
            value={typeof value === "number" ? value : ""}
            onChange={(e) => onChange(setAnswer(answers, item.id, e.target.value === "" ? null : Number(e.target.value)))}
          />
        </label>
      );
  }
}
