/**
 * The student's calls to the server (issue 4's student endpoints), each returning an ApiResult value.
 * Types only from src/shared: no zod in the student's first chunk.
 */
import type { DeclineReply, ResponseState, SubmitBody, SubmitReply } from "../../shared/responses";
import type { StudentSession } from "../../shared/waves";
import type { ApiClient, ApiResult } from "../ui/api";
import type { SaveBody } from "./save-queue";
import type { StudentSurvey } from "./survey-data";
import type { AutosaveReply } from "../../shared/responses";

export type { ResponseState, StudentSession, SubmitReply };

export const studentApi = {
  enterCode: (api: ApiClient, code: string): Promise<ApiResult<StudentSession>> => api.post("/api/student/session", { code }),
  loadResponse: (api: ApiClient): Promise<ApiResult<ResponseState>> => api.get("/api/student/response"),
  /** The battery's SurveyJS JSON, its answer refs and the end page's hotlines, made by the server. */
  loadSurvey: (api: ApiClient): Promise<ApiResult<StudentSurvey>> => api.get("/api/student/survey"),
  save: (api: ApiClient, body: SaveBody): Promise<ApiResult<AutosaveReply>> => api.put("/api/student/response", body),
  submit: (api: ApiClient, body: SubmitBody): Promise<ApiResult<SubmitReply>> => api.post("/api/student/response/submit", body),
  decline: (api: ApiClient, idempotencyKey: string): Promise<ApiResult<DeclineReply>> => api.post("/api/student/response/decline", { idempotencyKey }),
  /** Ends the session on the server (kiosk reset); the cookie is HttpOnly, so only the server can drop it. */
  signOut: (api: ApiClient): Promise<ApiResult<unknown>> => api.del("/api/student/session"),
};

/** A fresh idempotency key (random UUID; crypto.randomUUID needs a secure context, so fall back to getRandomValues). */
export function newIdempotencyKey(): string {
  const c = globalThis.crypto;
  if (typeof c.randomUUID === "function") return c.randomUUID();
  const b = c.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}
