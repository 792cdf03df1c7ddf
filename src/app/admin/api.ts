/**
 * The administration pages' calls beyond `staffApi`: a file sent as it is, a PATCH, and a small loading
 * hook.
 */
import { useCallback, useEffect, useState } from "react";
import { restoreSession, staffApi } from "../staff/client";
import { readResponse, type ApiFailure, type ApiResult } from "../ui/api";

/** A roster of 100,000 rows is about 10 MB; a school's upload link may be slow. */
const TIMEOUT_MS = 120_000;

/**
 * Sends `body` with the session's CSRF token, fetched afresh: the token of `staffApi` is private to it,
 * and `staffApi` has no PATCH and sends JSON only.
 */
async function send<T>(method: string, path: string, body: BodyInit, contentType: string): Promise<ApiResult<T>> {
  const session = await restoreSession();
  if (!session.ok) return session;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  try {
    const res = await fetch(path, {
      method,
      headers: { accept: "application/json", "content-type": contentType, "x-csrf-token": session.data.csrfToken },
      body,
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

/** POSTs a file's bytes unchanged as text/csv (the roster import detects UTF-8, BOM or GB18030 itself). */
export function postFile<T>(path: string, file: Blob): Promise<ApiResult<T>> {
  return send<T>("POST", path, file, "text/csv");
}

/** A JSON call of a method `staffApi` lacks (PATCH). */
export function sendJson<T>(method: "PATCH", path: string, body: unknown): Promise<ApiResult<T>> {
  return send<T>(method, path, JSON.stringify(body), "application/json");
}

export type Loaded<T> = { readonly kind: "loading" } | { readonly kind: "failed"; readonly failure: ApiFailure } | { readonly kind: "ready"; readonly data: T };

/** GETs `path` (nothing while it is null) and again on `reload()`; `set` replaces the data after a change. */
export function useLoad<T>(path: string | null): { loaded: Loaded<T>; reload: () => void; set: (data: T) => void } {
  const [loaded, setLoaded] = useState<Loaded<T>>({ kind: "loading" });
  const [round, setRound] = useState(0);
  useEffect(() => {
    if (path === null) return;
    let live = true;
    setLoaded({ kind: "loading" });
    void staffApi.get<T>(path).then((result) => {
      if (live) setLoaded(result.ok ? { kind: "ready", data: result.data } : { kind: "failed", failure: result });
    });
    return () => {
      live = false;
    };
  }, [path, round]);
  const reload = useCallback(() => setRound((r) => r + 1), []);
  const set = useCallback((data: T) => setLoaded({ kind: "ready", data }), []);
  return { loaded, reload, set };
}
