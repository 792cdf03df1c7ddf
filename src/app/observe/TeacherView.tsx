/**
 * A teacher's part of /observe: the check-in notices, a class picker, and for the chosen class the
 * whole-class grid (homeroom classes) and the observation checklist for one student.
 */
import { useState } from "react";
import type { ObserveClass, ObserveStudent } from "../../shared/observations";
import { classLabel } from "../staff/model";
import { isolate } from "../ui/bidi";
import { UserText } from "../ui/UserText";
import { ClassGrid } from "./ClassGrid";
import { useClasses, useStudents, useTeacherForms } from "./data";
import { Notices } from "./Notices";
import { ObservationForm } from "./ObservationForm";

const RELATION_LABEL = { homeroom: "班主任 · homeroom", subject: "任课 · subject", peer: "心理委员 · peer monitor" } as const;

export function TeacherView() {
  const classes = useClasses();
  const [picked, setPicked] = useState<string | null>(null);

  if (classes.kind === "loading") return <p>正在加载… Loading…</p>;
  if (classes.kind === "failed") return <p role="alert">{classes.message}</p>;
  const list = classes.data;
  const homeroom = list.some((c) => c.relation === "homeroom");
  const current = list.find((c) => c.id === picked) ?? list[0];
  return (
    <>
      <Notices alwaysShow={homeroom} />
      {current === undefined ? (
        <p>您还没有关联任何班级，请联系学校负责人。You have no class yet; ask the school lead.</p>
      ) : (
        <>
          <div className="xq-class-pick">
            {list.length > 1 ? (
              <label className="xq-field">
                班级 · Class
                <select value={current.id} onChange={(e) => setPicked(e.target.value)}>
                  {list.map((c) => (
                    <option key={c.id} value={c.id}>
                      {isolate(classLabel(c))}（{RELATION_LABEL[c.relation]}）
                    </option>
                  ))}
                </select>
              </label>
            ) : (
              <p>
                班级 · Class:{" "}
                <strong>
                  <UserText text={classLabel(current)} />
                </strong>
                （{RELATION_LABEL[current.relation]}）
              </p>
            )}
          </div>
          <ClassWork key={current.id} klass={current} />
        </>
      )}
    </>
  );
}

type Mode = "grid" | "one";

function ClassWork({ klass }: { klass: ObserveClass }) {
  const homeroom = klass.relation === "homeroom";
  const students = useStudents(klass.id);
  const forms = useTeacherForms(klass.grade, homeroom);
  const [mode, setMode] = useState<Mode>(homeroom ? "grid" : "one");
  const [filed, setFiled] = useState<string | null>(null);

  if (students.kind === "loading" || forms.kind === "loading") return <p>正在加载… Loading…</p>;
  if (students.kind === "failed") return <p role="alert">{students.message}</p>;
  if (forms.kind === "failed") return <p role="alert">{forms.message}</p>;
  const { checklist, screener } = forms.data;
  const label = classLabel(klass);
  const showGrid = homeroom && screener !== null;
  const onFiled = (s: ObserveStudent) => setFiled(`已提交 ${isolate(s.name)} 的观察记录。Observation for ${isolate(s.name)} filed.`);

  return (
    <section aria-labelledby="xq-class-title">
      <h2 id="xq-class-title">
        <UserText text={label} />
      </h2>
      {students.data.length === 0 && <p>这个班级没有在读学生。This class has no enrolled student.</p>}
      {students.data.length > 0 && (
        <>
          {showGrid && (
            <div className="xq-modes" role="group" aria-label="记录方式 · What to file">
              <button type="button" aria-pressed={mode === "grid"} onClick={() => setMode("grid")}>
                全班评定 · Rate the whole class
              </button>
              <button type="button" aria-pressed={mode === "one"} onClick={() => setMode("one")}>
                单个学生观察记录 · Checklist for one student
              </button>
            </div>
          )}
          {showGrid && mode === "grid" ? (
            <ClassGrid form={screener} students={students.data} className={label} />
          ) : (
            <section aria-labelledby="xq-checklist-title">
              <h3 id="xq-checklist-title">{checklist.title["zh-CN"]} · {checklist.title.en}</h3>
              <ObservationForm
                form={checklist}
                students={students.data}
                pick={{ label: "学生 · Student", missing: "请先选择学生。Choose a student first." }}
                submitLabel="提交观察记录 · File the observation"
                criticalHint
                onFiled={onFiled}
              />
              {filed && (
                <p role="status" className="xq-done">
                  {filed}
                </p>
              )}
            </section>
          )}
        </>
      )}
    </section>
  );
}
