/**
 * The observer's page (/observe) for homeroom teachers, subject teachers and peer monitors (心理委员):
 * - a homeroom teacher rates the whole class on the grade's screener in one grid, files the observation
 *   checklist for one student, and sees the "please check in with" notices a counselor released;
 * - a subject teacher files the checklist for students of their classes (and sees notices, if any);
 * - a peer monitor picks a classmate, fills the peer concern form, and gets a thank-you: nothing else.
 * Nobody here ever sees a score, a tier or an earlier report; the server sends none.
 */
import type { Role } from "../../shared/api";
import { StaffShell } from "../staff/StaffShell";
import { PeerView } from "./PeerView";
import { TeacherView } from "./TeacherView";
import "./observe.css";

const ROLES: readonly Role[] = ["homeroom", "subject", "peer"];

export default function ObservePage() {
  return (
    <StaffShell title="观察记录 · Observations" roles={ROLES}>
      {(account) => (account.role === "peer" ? <PeerView /> : <TeacherView />)}
    </StaffShell>
  );
}
