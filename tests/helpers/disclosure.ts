/**
 * Independent disclosure checker for published count tables, shared by the suppression tests of the
 * scoring library and of the analytics endpoints: a hidden cell or total is safe when a
 * second table of non-negative integers matches every published number and differs in it. The search
 * walks cycles of hidden entries in the table bordered by its totals; every witness it accepts is
 * checked by plain summation (`consistent`), so "not recoverable" never rests on the search logic.
 */
import type { PublishableTable } from "../../scoring/index";

export type Target = { kind: "cell"; i: number; j: number } | { kind: "row"; i: number } | { kind: "column"; j: number } | { kind: "grand" };

export const rowSums = (t: readonly (readonly number[])[]): number[] => t.map((r) => r.reduce((s, v) => s + v, 0));
export const columnSums = (t: readonly (readonly number[])[]): number[] => (t[0] ?? []).map((_, j) => t.reduce((s, r) => s + (r[j] ?? 0), 0));
export const total = (t: readonly (readonly number[])[]): number => rowSums(t).reduce((s, v) => s + v, 0);

/** Does `candidate`, a table of non-negative integers, match every number `published` shows? */
export function consistent(candidate: readonly (readonly number[])[], published: PublishableTable): boolean {
  const rs = rowSums(candidate);
  const cs = columnSums(candidate);
  return (
    candidate.every((row) => row.every((v) => Number.isInteger(v) && v >= 0)) &&
    published.cells.every((row, i) => row.every((v, j) => v === null || v === candidate[i]?.[j])) &&
    published.rowTotals.every((v, i) => v === null || v === rs[i]) &&
    published.columnTotals.every((v, j) => v === null || v === cs[j]) &&
    (published.grandTotal === null || published.grandTotal === total(candidate))
  );
}

export function valueOf(t: readonly (readonly number[])[], target: Target): number {
  switch (target.kind) {
    case "cell":
      return t[target.i]?.[target.j] ?? NaN;
    case "row":
      return rowSums(t)[target.i] ?? NaN;
    case "column":
      return columnSums(t)[target.j] ?? NaN;
    case "grand":
      return total(t);
  }
}

/**
 * Independent disclosure checker: a second table, different from the true one in `target`, that a
 * reader cannot tell apart from it (same published cells and totals, non-negative integers).
 *
 * It searches simple cycles of hidden entries in the table bordered by its totals (a bipartite graph
 * of bordered rows and columns), puts +1/−1 alternately on the cycle's *cells* (totals are not
 * shifted here; they are recomputed), and accepts the first shifted table that `consistent` approves
 * and that differs in the target. Every accepted witness is checked by plain summation, so a claim
 * of "not recoverable" never rests on the search logic.
 */
export function secondTable(original: number[][], published: PublishableTable, target: Target): number[][] | null {
  const rows = original.length;
  const cols = original[0]?.length ?? 0;
  const hidden = (i: number, j: number): boolean => {
    if (i < rows && j < cols) return published.cells[i]?.[j] === null;
    if (i < rows) return published.rowTotals[i] === null;
    if (j < cols) return published.columnTotals[j] === null;
    return published.grandTotal === null;
  };
  const [ti, tj] = target.kind === "cell" ? [target.i, target.j] : target.kind === "row" ? [target.i, cols] : target.kind === "column" ? [rows, target.j] : [rows, cols];
  if (!hidden(ti, tj)) return null;
  const truth = valueOf(original, target);
  const visitedRows = new Set<number>([ti]);
  const visitedCols = new Set<number>([tj]);
  const path: [number, number][] = [[ti, tj]];
  let budget = 2_000_000;

  const tryCycle = (): number[][] | null => {
    for (const first of [1, -1]) {
      const candidate = original.map((r) => [...r]);
      path.forEach(([i, j], step) => {
        const row = candidate[i];
        if (i < rows && j < cols && row) row[j] = (row[j] ?? 0) + (step % 2 === 0 ? first : -first);
      });
      if (consistent(candidate, published) && valueOf(candidate, target) !== truth) return candidate;
    }
    return null;
  };

  // Walk from column tj back to row ti through hidden entries, alternating column→row and row→column.
  const walk = (atColumn: boolean, node: number): number[][] | null => {
    if (--budget < 0) return null;
    if (atColumn) {
      for (let i = 0; i <= rows; i++) {
        if (!hidden(i, node) || (i === ti && node === tj)) continue;
        if (i === ti) {
          path.push([i, node]);
          const found = tryCycle();
          path.pop();
          if (found) return found;
          continue;
        }
        if (visitedRows.has(i)) continue;
        visitedRows.add(i);
        path.push([i, node]);
        const found = walk(false, i);
        path.pop();
        visitedRows.delete(i);
        if (found) return found;
      }
    } else {
      for (let j = 0; j <= cols; j++) {
        if (!hidden(node, j) || visitedCols.has(j)) continue;
        visitedCols.add(j);
        path.push([node, j]);
        const found = walk(true, j);
        path.pop();
        visitedCols.delete(j);
        if (found) return found;
      }
    }
    return null;
  };
  return walk(true, tj);
}

export function hiddenTargets(published: PublishableTable): Target[] {
  const targets: Target[] = [];
  published.cells.forEach((row, i) => row.forEach((v, j) => v === null && targets.push({ kind: "cell", i, j })));
  published.rowTotals.forEach((v, i) => v === null && targets.push({ kind: "row", i }));
  published.columnTotals.forEach((v, j) => v === null && targets.push({ kind: "column", j }));
  if (published.grandTotal === null) targets.push({ kind: "grand" });
  return targets;
}


/** The hidden entries of `published` that a reader could recover exactly from what is published. */
export function recoverable(original: number[][], published: PublishableTable): Target[] {
  return hiddenTargets(published).filter((target) => secondTable(original, published, target) === null);
}
