/** Small pieces shared by the administration sections: loading states, problem tables, notices. */
import type { ReactNode } from "react";
import { failureText } from "../staff/model";
import { UserText } from "../ui/UserText";
import type { Loaded } from "./api";
import { quotedCell, type Problem } from "./model";

/** Renders `children(data)` once loaded; a spinner line before, the failure as an alert after. */
export function LoadView<T>({ loaded, children }: { loaded: Loaded<T>; children: (data: T) => ReactNode }) {
  switch (loaded.kind) {
    case "loading":
      return <p>正在加载… Loading…</p>;
    case "failed":
      return <p role="alert">{failureText(loaded.failure)}</p>;
    case "ready":
      return <>{children(loaded.data)}</>;
  }
}

/**
 * Every problem of a failed call or form: the title as an alert (what went wrong, and that nothing was
 * written), then one table row per problem with its line and column, or a list when none has a place.
 */
export function Problems({ title, problems, label }: { title: string; problems: readonly Problem[]; label: string }) {
  const withPlace = problems.some((p) => p.line !== null || p.column !== null);
  return (
    <div className="xq-admin-problems">
      <p role="alert">{title}</p>
      {problems.length === 0 ? null : withPlace ? (
        <table aria-label={label}>
          <thead>
            <tr>
              <th scope="col">行 · Line</th>
              <th scope="col">列 · Column</th>
              <th scope="col">问题 · Problem</th>
            </tr>
          </thead>
          <tbody>
            {problems.map((p, i) => (
              <tr key={i}>
                <td>{p.line ?? "—"}</td>
                <td>{p.column === null ? "—" : <UserText text={p.column} />}</td>
                <td>
                  <ProblemMessage message={p.message} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <ul aria-label={label}>
          {problems.map((p, i) => (
            <li key={i}>
              <ProblemMessage message={p.message} />
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** A problem's message, the cell it quotes (a roster's typed text) as an isolate. */
function ProblemMessage({ message }: { message: string }) {
  const quoted = quotedCell(message);
  if (quoted === null) return <>{message}</>;
  return (
    <>
      {quoted.before}
      <UserText text={quoted.cell} />
      {quoted.after}
    </>
  );
}

/** A one-time secret (a set-up link, a reissued code): shown once, with why it cannot be shown again. */
export function ShownOnce({ label, value, note, testId }: { label: ReactNode; value: string; note: string; testId: string }) {
  return (
    <div className="xq-warning xq-admin-once" role="status">
      <p>
        <strong>{label}</strong>
      </p>
      <p className="xq-admin-secret" data-testid={testId}>
        {value}
      </p>
      <p>{note}</p>
    </div>
  );
}
