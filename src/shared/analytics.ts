/**
 * The HTTP contract of the district analytics (issue 7), shared by the server and the analyst's SPA.
 *
 * Every endpoint answers one aggregate table: named columns and rows of strings (group labels),
 * numbers, or `null` (suppressed, or not defined for that group). The CSV download of an endpoint is
 * exactly this table, header = the column labels. No schema here has a place for a student id, a name
 * or any per-student field.
 */
import { z } from "zod";
import { Season } from "./waves";

/** Text in both languages. */
export const AnalyticsText = z.object({ "zh-CN": z.string(), en: z.string() });
export type AnalyticsText = z.infer<typeof AnalyticsText>;

/**
 * A district wave: every school's wave of one school year and season, as "2025-2026:spring".
 * (Each school has its own wave row; the district compares the same season across schools.)
 */
export const WaveKey = z
  .string()
  .max(32)
  .regex(/^[0-9]{4}-[0-9]{4}:(spring|autumn)$/, 'a district wave like "2025-2026:spring"');
export type WaveKey = z.infer<typeof WaveKey>;

/** How a table is broken down. */
export const Dimension = z.enum(["school", "grade", "gender", "key-population"]);
export type Dimension = z.infer<typeof Dimension>;

/** Break-downs of the coverage, happiness and export tables. */
export const SchoolGradeBy = z.enum(["school", "grade", "school,grade"]);
export type SchoolGradeBy = z.infer<typeof SchoolGradeBy>;
/** Break-downs of the tier distribution. */
export const TierBy = z.enum(["school", "grade", "gender", "key-population", "school,grade"]);
export type TierBy = z.infer<typeof TierBy>;

export const CsvEncoding = z.enum(["utf-8", "gb18030"]);
export type CsvEncoding = z.infer<typeof CsvEncoding>;

/** GET /api/analytics/{coverage,happiness}[.csv] */
export const SchoolGradeQuery = z.strictObject({ wave: WaveKey, by: SchoolGradeBy.default("school") });
export const SchoolGradeCsvQuery = SchoolGradeQuery.extend({ encoding: CsvEncoding.default("utf-8") });
/** GET /api/analytics/tiers[.csv] */
export const TierQuery = z.strictObject({ wave: WaveKey, by: TierBy.default("school") });
export const TierCsvQuery = TierQuery.extend({ encoding: CsvEncoding.default("utf-8") });
/** GET /api/analytics/{factors,high-incidence}[.csv] */
export const WaveQuery = z.strictObject({ wave: WaveKey });
export const WaveCsvQuery = WaveQuery.extend({ encoding: CsvEncoding.default("utf-8") });
/** GET /api/analytics/movement[.csv]: from the earlier wave to the later one. */
export const MovementQuery = z.strictObject({ from: WaveKey, to: WaveKey });
export const MovementCsvQuery = MovementQuery.extend({ encoding: CsvEncoding.default("utf-8") });

/** `days`: a number of calendar days (the follow-up table's median days to interview). */
export const ColumnType = z.enum(["group", "count", "rate", "mean", "difference", "text", "days"]);
export type ColumnType = z.infer<typeof ColumnType>;

export const TableColumn = z.object({ key: z.string(), label: AnalyticsText, type: ColumnType });
export type TableColumn = z.infer<typeof TableColumn>;

export const TableCell = z.union([z.string(), z.number(), z.null()]);
export type TableCell = z.infer<typeof TableCell>;

export const TableId = z.enum(["coverage", "tiers", "happiness", "factors", "high-incidence", "movement", "aggregates", "follow-up"]);
export type TableId = z.infer<typeof TableId>;

/**
 * One published aggregate table. `null` in a value column means suppressed (fewer than `k` students,
 * or hidden so that a small cell cannot be recovered from the others and the totals), or not defined
 * (a rate of an empty group). Rates are proportions in [0, 1]; WHO-5 means are on 0-100.
 */
export const AnalyticsTable = z.object({
  id: TableId,
  title: AnalyticsText,
  /** The district wave(s): "2025-2026:spring", or "from→to" for movement. */
  wave: z.string(),
  by: z.array(Dimension),
  /** The suppression threshold in force. */
  k: z.number().int(),
  columns: z.array(TableColumn),
  rows: z.array(z.array(TableCell)),
  notes: z.array(AnalyticsText),
});
export type AnalyticsTable = z.infer<typeof AnalyticsTable>;

/** GET /api/analytics/high-incidence: the funnel plot's table plus the schools above the 99.8 % limit. */
export const HighIncidence = AnalyticsTable.extend({
  /** Pooled red+orange rate of the district, or null when suppressed or empty. */
  districtRate: z.number().nullable(),
  above998: z.array(z.object({ schoolId: z.string(), code: z.string(), name: z.string() })),
});
export type HighIncidence = z.infer<typeof HighIncidence>;

/** GET /api/analytics/movement: the from × to tier table plus the movement counts where publishable. */
export const Movement = AnalyticsTable.extend({
  summary: z.object({ up: z.number().nullable(), same: z.number().nullable(), down: z.number().nullable(), new: z.number().nullable() }),
});
export type Movement = z.infer<typeof Movement>;

/** GET /api/analytics/waves: the district waves that have any school's wave. */
export const DistrictWaveList = z.object({
  waves: z.array(z.object({ key: WaveKey, schoolYear: z.string(), season: Season, schools: z.number().int() })),
});
export type DistrictWaveList = z.infer<typeof DistrictWaveList>;

/**
 * GET /api/analytics/follow-up[.csv]?wave=2025-2026:spring — case follow-up quality per school (does the
 * school close the loop?). The answer is an {@link AnalyticsTable} with `id: "follow-up"`, one row per
 * school of the district wave plus a last row "全部 all" (the district), and these value columns:
 *
 * | key | type | meaning |
 * |---|---|---|
 * | `alerts_n` | count | alerts (critical answers or observations: act today, the red level) raised in the wave's period |
 * | `same_day_n` | count | of those, acknowledged the same calendar day (China time) |
 * | `same_day_rate`, `same_day_lower`, `same_day_upper` | rate | same_day_n / alerts_n with its Wilson 95 % interval |
 * | `opened_n` | count | cases opened in the wave's period |
 * | `closed_n` | count | of those, closed by now |
 * | `overdue_n` | count | of those, still open and past their due date now |
 * | `median_days_to_interview` | days | median calendar days from opening to the first interview, over the cases interviewed (≥ k of them) |
 *
 * A wave's period at a school runs from its wave's `opens_at` to the school's next wave's `opens_at`
 * (or now). `null` = suppressed (the same small-cell rule as every other table) or undefined.
 * The query parameter is `wave`, the district wave key, like every other analytics endpoint (a school
 * wave's id would name one school only).
 */
export const FollowUpQuery = WaveQuery;
export const FollowUpCsvQuery = WaveCsvQuery;
/** The follow-up table's value column keys, in order (after the group columns `school_code`, `school`). */
export const FOLLOW_UP_VALUE_KEYS = [
  "alerts_n",
  "same_day_n",
  "same_day_rate",
  "same_day_lower",
  "same_day_upper",
  "opened_n",
  "closed_n",
  "overdue_n",
  "median_days_to_interview",
] as const;
export type FollowUpValueKey = (typeof FOLLOW_UP_VALUE_KEYS)[number];

/** A list of district waves, comma-separated: "2024-2025:autumn,2025-2026:spring". */
export const WaveKeyList = z
  .string()
  .max(32 * 8 + 7)
  .regex(/^[0-9]{4}-[0-9]{4}:(spring|autumn)(,[0-9]{4}-[0-9]{4}:(spring|autumn)){0,7}$/, 'one to eight district waves like "2024-2025:autumn,2025-2026:spring"');

/**
 * A study label: pseudonyms and date shifts are keyed per study, so two exports of one study link
 * (the same student keeps one pseudonym) and exports of different studies do not.
 */
export const StudyLabel = z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, "a study label of lower-case letters, digits and '-'");

/** GET /api/research/export.csv (admin only): the de-identified research export of one or more waves. */
export const ResearchCsvQuery = z.strictObject({ wave: WaveKeyList, study: StudyLabel.default("default"), encoding: CsvEncoding.default("utf-8") });
export type ResearchCsvQuery = z.infer<typeof ResearchCsvQuery>;
