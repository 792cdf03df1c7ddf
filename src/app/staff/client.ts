/**
 * The one API client of the staff pages. Its CSRF token lives in memory only: sign-in sets it, and a page
 * opened afresh (a reload, or the move from /login to /staff/slips) gets it back from GET /api/auth/session.
 */
import type { SessionResponse } from "../../shared/accounts";
import { createApiClient, type ApiResult } from "../ui/api";

export const staffApi = createApiClient();

/** The signed-in account, with the client's CSRF token set; a failure (401 when signed out) as is. */
export async function restoreSession(): Promise<ApiResult<SessionResponse>> {
  const result = await staffApi.get<SessionResponse>("/api/auth/session");
  if (result.ok) staffApi.setCsrfToken(result.data.csrfToken);
  return result;
}
