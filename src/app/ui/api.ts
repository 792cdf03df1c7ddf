/**
 * The SPA's HTTP client: JSON in and out, the CSRF token (kept in memory only) on every state-changing call,
 * and every outcome as a value. A failed call never throws: it is either an HTTP error with the server's
 * `{error: {code, message, details}}` body, or a network failure (offline, timeout, a proxy's HTML page).
 *
 * No zod here on purpose: this module is in the student's first chunk, which must stay small (issue 5);
 * the server validates everything it receives and the shapes it sends are typed by src/shared.
 */
import type { ApiErrorBody } from "../../shared/api";

export type ApiError = ApiErrorBody["error"];

export type ApiResult<T> =
  | { readonly ok: true; readonly status: number; readonly data: T }
  | { readonly ok: false; readonly kind: "http"; readonly status: number; readonly error: ApiError }
  | { readonly ok: false; readonly kind: "network"; readonly message: string };

export type ApiFailure = Extract<ApiResult<unknown>, { ok: false }>;

export interface ApiClient {
  get<T>(path: string): Promise<ApiResult<T>>;
  post<T>(path: string, body?: unknown): Promise<ApiResult<T>>;
  put<T>(path: string, body: unknown): Promise<ApiResult<T>>;
  del<T>(path: string): Promise<ApiResult<T>>;
  /** Sets (or forgets, with null) the CSRF token sent in x-csrf-token. */
  setCsrfToken(token: string | null): void;
}

export interface ApiClientOptions {
  readonly fetch?: typeof fetch;
  readonly baseUrl?: string;
  /** A call that takes longer is aborted and reported as a network failure (the lab network may hang). */
  readonly timeoutMs?: number;
}

export const CSRF_HEADER = "x-csrf-token";

function isErrorBody(body: unknown): body is ApiErrorBody {
  if (typeof body !== "object" || body === null || !("error" in body)) return false;
  const error = (body as { error: unknown }).error;
  return typeof error === "object" && error !== null && typeof (error as { code?: unknown }).code === "string";
}

/** Reads a fetch Response into an ApiResult: JSON bodies, the error shape on 4xx/5xx, anything else a network failure. */
export async function readResponse<T>(res: Response): Promise<ApiResult<T>> {
  const text = await res.text();
  let body: unknown = undefined;
  if (text !== "") {
    try {
      body = JSON.parse(text);
    } catch {
      // A captive portal or proxy answered instead of our server: treat it like being offline.
      return { ok: false, kind: "network", message: `unexpected ${res.status} response that is not JSON` };
    }
  }
  if (res.ok) return { ok: true, status: res.status, data: body as T };
  if (isErrorBody(body)) return { ok: false, kind: "http", status: res.status, error: body.error };
  return { ok: false, kind: "http", status: res.status, error: { code: `http_${res.status}`, message: res.statusText || `HTTP ${res.status}` } };
}

/** A client bound to one origin. The CSRF token lives in this object only (never in storage). */
export function createApiClient(options: ApiClientOptions = {}): ApiClient {
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
  const baseUrl = options.baseUrl ?? "";
  const timeoutMs = options.timeoutMs ?? 15_000;
  let csrf: string | null = null;

  async function call<T>(method: string, path: string, body?: unknown): Promise<ApiResult<T>> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (method !== "GET" && csrf !== null) headers[CSRF_HEADER] = csrf;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const res = await doFetch(baseUrl + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "same-origin",
        cache: "no-store",
        signal: controller.signal,
      });
      return await readResponse<T>(res);
    } catch (err) {
      return { ok: false, kind: "network", message: err instanceof Error ? err.message : String(err) };
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    get: (path) => call("GET", path),
    post: (path, body) => call("POST", path, body ?? {}),
    put: (path, body) => call("PUT", path, body),
    del: (path) => call("DELETE", path),
    setCsrfToken: (token) => {
      csrf = token;
    },
  };
}

/** True when retrying the same call later may succeed: offline, timeouts, overload and server errors. */
export function isTransient(result: ApiFailure): boolean {
  if (result.kind === "network") return true;
  return result.status === 408 || result.status === 429 || result.status >= 500;
}
