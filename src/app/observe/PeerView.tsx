/**
 * A peer monitor's (心理委员) part of /observe: pick a classmate, fill the peer concern form, get a thank-you.
 * Nothing else: no earlier reports, no tier, no word on what happened afterwards. After a report the form
 * and the chosen name are gone from the page (a class or lab PC is shared).
 */
import { useState } from "react";
import type { ObserveClass } from "../../shared/observations";
import { classLabel } from "../staff/model";
import { useClasses, usePeerForm, useStudents } from "./data";
import { bilingual } from "./model";
import { ObservationForm } from "./ObservationForm";

export function PeerView() {
  const classes = useClasses();
  const [picked, setPicked] = useState<string | null>(null);
  const [thanked, setThanked] = useState(false);

  if (thanked) {
    return (
      <section className="xq-thanks" aria-labelledby="xq-thanks-title">
        <h2 id="xq-thanks-title">谢谢你的关心！· Thank you for caring!</h2>
        <p>你的报告已经交给心理老师。如果你觉得同学现在就有危险，请马上告诉身边的老师。</p>
        <p>Your report has gone to the school counselor. If you think your classmate is in danger right now, tell a teacher near you straight away.</p>
        <button type="button" className="xq-button" onClick={() => setThanked(false)}>
          再写一份 · Write another
        </button>
      </section>
    );
  }
  if (classes.kind === "loading") return <p>正在加载… Loading…</p>;
  if (classes.kind === "failed") return <p role="alert">{classes.message}</p>;
  const list = classes.data;
  const current = list.find((c) => c.id === picked) ?? list[0];
  if (current === undefined) return <p>你还不是任何班级的心理委员。You are not a peer monitor of any class yet.</p>;
  return (
    <>
      {list.length > 1 && (
        <label className="xq-field">
          班级 · Class
          <select value={current.id} onChange={(e) => setPicked(e.target.value)}>
            {list.map((c) => (
              <option key={c.id} value={c.id}>
                {classLabel(c)}
              </option>
            ))}
          </select>
        </label>
      )}
      <PeerReport key={current.id} klass={current} onFiled={() => setThanked(true)} />
    </>
  );
}

function PeerReport({ klass, onFiled }: { klass: ObserveClass; onFiled: () => void }) {
  const students = useStudents(klass.id);
  const form = usePeerForm();
  if (students.kind === "loading" || form.kind === "loading") return <p>正在加载… Loading…</p>;
  if (students.kind === "failed") return <p role="alert">{students.message}</p>;
  if (form.kind === "failed") return <p role="alert">{form.message}</p>;
  return (
    <section aria-labelledby="xq-peer-title">
      <h2 id="xq-peer-title">{bilingual(form.data.title)}</h2>
      <ObservationForm
        form={form.data}
        students={students.data}
        pick={{ label: "同学 · Classmate", missing: "请先选择一位同学。Choose a classmate first." }}
        submitLabel="交给心理老师 · Send to the counselor"
        criticalHint={false}
        onFiled={onFiled}
      />
    </section>
  );
}
