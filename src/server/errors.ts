/**
 * API errors: every failure answers `{error: {code, message, details?}}` with the right status
 * (ARCHITECTURE.md, "The HTTP API"). Routes throw `ApiError`; the app's error handler shapes the reply.
 */
export interface ErrorDetail {
  /** Where the problem is: a JSON path ("answers.phq9.q3"), or a CSV place ("line 12, 班级"). */
  readonly path?: string;
  readonly line?: number | null;
  readonly column?: string | null;
  readonly code?: string;
  readonly message: string;
}

export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: readonly ErrorDetail[],
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** 404 for anything the caller may not know exists: another school's student answers the same as none. */
export const notFound = (what = "not found"): ApiError => new ApiError(404, "not_found", what);
export const forbidden = (what = "not allowed"): ApiError => new ApiError(403, "forbidden", what);
export const badRequest = (code: string, message: string, details?: readonly ErrorDetail[]): ApiError => new ApiError(400, code, message, details);
export const conflict = (code: string, message: string): ApiError => new ApiError(409, code, message);
