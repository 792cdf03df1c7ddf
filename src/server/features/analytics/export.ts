/**
 * The full aggregate export as a stream of encoded CSV chunks, for the CLI (`xinqing export
 * aggregates`) and anything else that writes it somewhere. Memory is bounded by the number of groups
 * (schools × grades), never by the number of students or responses: the database groups, and the
 * rows are written in chunks.
 */
import type { CsvEncoding, SchoolGradeBy } from "../../../shared/analytics";
import type { Queryable } from "../../db/database";
import { buildAggregates, currentK } from "./build";
import { tableCsv } from "./csv";

export { UnknownWave } from "./build";

export interface ExportRequest {
  readonly wave: string;
  readonly by: SchoolGradeBy;
  readonly encoding: CsvEncoding;
}

/** Builds the export and hands its chunks to `sink` (e.g. a file pipeline); returns rows written and k. */
export async function exportAggregates(q: Queryable, request: ExportRequest, sink: (chunks: AsyncIterable<Buffer>) => Promise<void>): Promise<{ rows: number; k: number }> {
  const k = await currentK(q);
  const table = await buildAggregates(q, request.wave, request.by, k);
  await sink(tableCsv(table, request.encoding));
  return { rows: table.rows.length, k };
}
