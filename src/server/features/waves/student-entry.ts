/**
 * A student enters with the code from their slip: POST /api/student/session (anonymous). A good code
 * gives a session bound to the student and the wave, and what the student needs to start: the school's
 * name, the wave, the self-report instruments of their battery. Never a score, band or tier.
 *
 * Errors, each with its own code so the start page can say what to do:
 * - `code_invalid` (401): not a code, unknown, revoked, or its student left the school or was opted out;
 *   the same answer whatever school the code might belong to;
 * - `wave_closed` (403): the code's wave is not open now (draft, closed, or outside [opensAt, closesAt));
 * - `code_used` (409): the student has submitted this wave (single use per submission);
 * - `locked` (429): too many wrong codes from this address (`CODE_LOCKOUT`), whatever the code.
 *
 * Only wrong codes count towards the lockout; a good code does not clear the count, so a student with
 * a valid code of their own cannot use it to reset an attacker's guesses.
 */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { StudentCodeEntry, StudentSession } from "../../../shared/waves";
import { checkLocked, recordFailure, type LockoutPolicy } from "../../auth/lockout";
import { requireStudent } from "../../auth/plugin";
import { clearSessionCookie, createSession, deleteSession, setSessionCookie } from "../../auth/sessions";
import type { Deps } from "../../deps";
import { ApiError } from "../../errors";
import type { Battery } from "../../../../instruments/batteries";
import type { Season } from "../../../shared/waves";
import { hashCode, normalizeCode } from "./codes";
import { isUsable, studentBattery } from "./rules";
import { audit } from "./store";

const MINUTE = 60_000;

/**
 * 10 wrong codes from one address within 10 minutes lock that address for 10 minutes. A lab behind one
 * NAT address shares the count: 10 typos in 10 minutes in one lab lock the lab for 10 minutes.
 */
export const CODE_LOCKOUT: LockoutPolicy = { max: 10, windowMs: 10 * MINUTE, lockMs: 10 * MINUTE };

/** The lockout key of an address entering codes. */
export const codeAddressKey = (address: string): string => `code:address:${address}`;

interface EntryRow extends Record<string, unknown> {
  code_status: "active" | "used" | "revoked";
  student_id: string;
  wave_id: string;
  school_id: string;
  wave_status: string;
  opens_at: Date;
  closes_at: Date;
  season: Season;
  school_year: string;
  batteries: Battery[];
  student_status: string;
  grade: number;
  school_name: string;
  submitted: boolean;
  consent: string | null;
}

const invalid = () => new ApiError(401, "code_invalid", "this code is not valid: check it against your slip, or ask your teacher / 访问码无效，请核对纸条或询问老师");

export const studentEntryRoutes: FastifyPluginAsyncZod<{ deps: Deps }> = async (app, { deps }) => {
  app.post("/api/student/session", { config: { startsSession: true }, schema: { body: StudentCodeEntry, response: { 200: StudentSession } } }, async (request, reply) => {
    const now = deps.now();
    const key = codeAddressKey(request.ip);
    const lock = await checkLocked(deps.db, key, now);
    if (lock.locked) {
      reply.header("retry-after", String(Math.max(1, Math.ceil((lock.until.getTime() - now.getTime()) / 1000))));
      throw new ApiError(429, "locked", "too many wrong codes from this computer: wait a few minutes, or ask your teacher / 错误次数过多，请稍后再试或询问老师");
    }
    const code = normalizeCode(request.body.code);
    const row = code === null ? undefined : await findCode(deps, code);
    if (row === undefined || row.code_status === "revoked" || row.student_status !== "enrolled" || row.consent === "opted-out") {
      await recordFailure(deps.db, key, now, CODE_LOCKOUT);
      throw invalid();
    }
    if (row.code_status === "used" || row.submitted) {
      throw new ApiError(409, "code_used", "this code has already been used to submit the survey / 此访问码已提交过问卷");
    }
    if (!isUsable({ status: row.wave_status, opensAt: row.opens_at, closesAt: row.closes_at }, now)) {
      const early = row.wave_status !== "closed" && now.getTime() < row.opens_at.getTime();
      throw new ApiError(403, "wave_closed", early ? "the survey is not open yet / 问卷尚未开放" : "the survey is closed / 问卷已关闭");
    }
    const battery = studentBattery(row.batteries, row.season, row.grade);
    if (battery === undefined || battery.instruments.length === 0) throw invalid();
    const session = await deps.db.transaction(async (tx) => {
      const s = await createSession(deps, { studentId: row.student_id, waveId: row.wave_id }, tx);
      await audit(tx, { at: now, actor: { kind: "student", studentId: row.student_id }, action: "student.session", schoolId: row.school_id, studentId: row.student_id, subject: row.wave_id, address: request.ip });
      return s;
    });
    setSessionCookie(deps, reply, session.token);
    return {
      csrfToken: session.csrfToken,
      school: { name: row.school_name },
      wave: { season: row.season, schoolYear: row.school_year },
      battery,
    };
  });

  // Kiosk reset (idle, or the student walks away): end this session now rather than at its expiry.
  app.delete("/api/student/session", async (request, reply) => {
    const student = requireStudent(request);
    await deleteSession(deps.db, student.sessionHash);
    clearSessionCookie(deps, reply);
    return reply.status(204).send();
  });
};

async function findCode(deps: Deps, code: string): Promise<EntryRow | undefined> {
  const { rows } = await deps.db.query<EntryRow>(
    `SELECT a.status AS code_status, a.student_id, a.wave_id, s.school_id, w.status AS wave_status, w.opens_at, w.closes_at,
            w.season, w.school_year, w.batteries, s.status AS student_status, s.grade, sc.name AS school_name,
            EXISTS (SELECT 1 FROM responses r WHERE r.wave_id = a.wave_id AND r.student_id = a.student_id AND r.status = 'submitted') AS submitted,
            (SELECT k.status FROM consents k WHERE k.wave_id = a.wave_id AND k.student_id = a.student_id) AS consent
       FROM access_codes a
       JOIN waves w ON w.id = a.wave_id
       JOIN students s ON s.id = a.student_id
       JOIN schools sc ON sc.id = s.school_id
      WHERE a.code_hash = $1`,
    [hashCode(deps.keys, code)],
  );
  return rows[0];
}
