import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { getInstrument } from "../../../instruments/index";
import { defaultPolicy, scoreInstrument } from "../../../scoring/index";
import type { TierName } from "../../../scoring/index";
import { fuseAll, mergeRanked, rankComputed } from "../../../src/server/features/watchlist/compute";
import type { StudentInputs } from "../../../src/server/features/watchlist/load";
import { phq9Total } from "./fixtures";

/** A student of one school with a spring PHQ-9 total and, optionally, a counselor's override. */
function aStudent(id: string, phq9: number, override?: { tier: TierName; computedTier: TierName }): StudentInputs {
  return {
    id,
    schoolId: "school",
    classId: "class",
    classLabel: "1",
    grade: 8,
    keyPopulation: [],
    current: {
      scores: { phq9: scoreInstrument(getInstrument("phq9")!, phq9Total(phq9)) },
      validity: { kind: "valid" },
      tier: "none",
      policyVersion: defaultPolicy.version,
      submittedAt: new Date("2026-03-02T09:00:00+08:00"),
      opensAt: new Date("2026-03-01T00:00:00+08:00"),
      waveKey: "2025-2026|spring",
    },
    previous: null,
    observations: [],
    override: override ? { id: `o-${id}`, reasonEnc: "x", policyVersion: defaultPolicy.version, authorId: "c", at: new Date("2026-03-03T09:00:00+08:00"), ...override } : null,
    openCase: null,
  };
}

const ranked = (students: StudentInputs[]) => rankComputed(fuseAll(students, () => defaultPolicy, () => ({}))).map((c) => [c.student.id, c.tier, c.entry.tier]);

describe("ranking by the tier in force", () => {
  it("ranks a student an override raises with the raised tier, and one an override lowers with the lowered tier", () => {
    const students = [aStudent("a-yellow", 12), aStudent("b-raised", 2, { tier: "orange", computedTier: "none" }), aStudent("c-lowered", 22, { tier: "none", computedTier: "red" }), aStudent("d-red", 22), aStudent("e-none", 2)];
    expect(ranked(students)).toEqual([
      ["d-red", "red", "red"],
      ["b-raised", "orange", "none"],
      ["a-yellow", "yellow", "yellow"],
      ["c-lowered", "none", "red"],
    ]);
  });

  it("lets the computed tier through once the override is stale (new evidence), whichever is higher", () => {
    expect(ranked([aStudent("stale", 22, { tier: "none", computedTier: "yellow" })])).toEqual([["stale", "red", "red"]]);
  });

  it("leaves every fused entry in place and lists nobody when nothing is of concern", () => {
    const all = fuseAll([aStudent("x", 0), aStudent("y", 3)], () => defaultPolicy, () => ({}));
    expect(all.map((c) => [c.student.id, c.listed])).toEqual([
      ["x", false],
      ["y", false],
    ]);
    expect(rankComputed(all)).toEqual([]);
  });
});

describe("merging the ranked lists of several schools", () => {
  it("gives the ranking of all their students together", () => {
    const tier = fc.constantFrom<TierName>("none", "yellow", "orange", "red");
    const student = fc.record({ phq9: fc.integer({ min: 0, max: 27 }), override: fc.option(fc.record({ tier, computedTier: tier }), { nil: undefined }) });
    fc.assert(
      fc.property(fc.array(fc.array(student, { maxLength: 12 }), { maxLength: 7 }), (schools) => {
        const lists = schools.map((students, k) => fuseAll(students.map((s, i) => aStudent(`s${k}-${i}`, s.phq9, s.override)), () => defaultPolicy, () => ({})));
        expect(mergeRanked(lists.map(rankComputed))).toEqual(rankComputed(lists.flat()));
      }),
    );
  });
});
