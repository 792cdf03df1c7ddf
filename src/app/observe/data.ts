/**
 * The observer page's reads, as hooks over staffApi: the observer's classes, one class's list and the forms
 * for its grade. Each answers a small state union the views switch on.
 */
import { useEffect, useState } from "react";
import type { ObservationInstrument, ObserveClass, ObserveClassList, ObserveForm, ObserveFormReply, ObserveStudent, ObserveStudentList } from "../../shared/observations";
import { staffApi } from "../staff/client";
import { failureText } from "../staff/model";

export type Loadable<T> = { readonly kind: "loading" } | { readonly kind: "failed"; readonly message: string } | { readonly kind: "ready"; readonly data: T };

/** Runs `load` whenever `key` changes and keeps the latest answer (an older, slower answer is dropped). */
function useLoad<T>(key: string | null, load: () => Promise<Loadable<T>>): Loadable<T> {
  const [state, setState] = useState<{ key: string | null; value: Loadable<T> }>({ key: null, value: { kind: "loading" } });
  useEffect(() => {
    if (key === null) return;
    let live = true;
    void load().then((value) => {
      if (live) setState({ key, value });
    });
    return () => {
      live = false;
    };
    // `load` is rebuilt every render; `key` names everything it depends on.
  }, [key]);
  return state.key === key ? state.value : { kind: "loading" };
}

export function useClasses(): Loadable<ObserveClass[]> {
  return useLoad<ObserveClass[]>("classes", async () => {
    const r = await staffApi.get<ObserveClassList>("/api/observe/classes");
    return r.ok ? { kind: "ready", data: r.data.classes } : { kind: "failed", message: failureText(r) };
  });
}

export function useStudents(classId: string | null): Loadable<ObserveStudent[]> {
  return useLoad<ObserveStudent[]>(classId, async () => {
    const r = await staffApi.get<ObserveStudentList>(`/api/observe/classes/${encodeURIComponent(classId ?? "")}/students`);
    return r.ok ? { kind: "ready", data: r.data.students } : { kind: "failed", message: failureText(r) };
  });
}

async function fetchForm(instrument: ObservationInstrument, grade: number): Promise<{ ok: true; reply: ObserveFormReply } | { ok: false; message: string }> {
  const r = await staffApi.get<ObserveFormReply>(`/api/observe/forms/${instrument}?grade=${grade}`);
  return r.ok ? { ok: true, reply: r.data } : { ok: false, message: failureText(r) };
}

/** The teacher checklist for a grade, and the grade's screener when `withScreener` (homeroom classes). */
export interface TeacherForms {
  readonly checklist: ObserveForm;
  readonly screener: ObserveForm | null;
}

export function useTeacherForms(grade: number | null, withScreener: boolean): Loadable<TeacherForms> {
  return useLoad<TeacherForms>(grade === null ? null : `${grade}:${withScreener}`, async () => {
    const checklist = await fetchForm("teacher-checklist", grade ?? 0);
    if (!checklist.ok) return { kind: "failed", message: checklist.message };
    const id = checklist.reply.screener;
    if (!withScreener || id === null) return { kind: "ready", data: { checklist: checklist.reply.form, screener: null } };
    const screener = await fetchForm(id, grade ?? 0);
    if (!screener.ok) return { kind: "failed", message: screener.message };
    return { kind: "ready", data: { checklist: checklist.reply.form, screener: screener.reply.form } };
  });
}

export function usePeerForm(): Loadable<ObserveForm> {
  return useLoad<ObserveForm>("peer-concern", async () => {
    const r = await staffApi.get<ObserveFormReply>("/api/observe/forms/peer-concern");
    return r.ok ? { kind: "ready", data: r.data.form } : { kind: "failed", message: failureText(r) };
  });
}
