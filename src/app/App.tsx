/**
 * The app shell and its routes. Each feature is a lazy route and its own chunk, so the student page never
 * loads staff code or charts, and staff pages never load survey-core. "/" is the student's page (the lab PCs
 * open the server's root); staff routes are added here as their features land.
 */
import { lazy, Suspense } from "react";

const StudentApp = lazy(() => import("./student/StudentApp"));
const SetupPage = lazy(() => import("./account/SetupPage"));
const LoginPage = lazy(() => import("./staff/LoginPage"));
const SlipsPage = lazy(() => import("./staff/SlipsPage"));

type Route = { kind: "student" } | { kind: "setup" } | { kind: "login" } | { kind: "slips" } | { kind: "not-found"; path: string };

/** The route of a path. Unknown paths get a plain page rather than the student's survey. */
export function routeOf(pathname: string): Route {
  const path = pathname.replace(/\/+$/, "") || "/";
  if (path === "/" || path === "/student") return { kind: "student" };
  if (path === "/setup") return { kind: "setup" };
  if (path === "/login") return { kind: "login" };
  if (path === "/staff/slips") return { kind: "slips" };
  return { kind: "not-found", path };
}

export function App({ pathname = window.location.pathname }: { pathname?: string }) {
  const route = routeOf(pathname);
  switch (route.kind) {
    case "student":
      return (
        <Suspense fallback={<p className="xq-home">正在加载… Loading…</p>}>
          <StudentApp />
        </Suspense>
      );
    case "setup":
      return (
        <Suspense fallback={<p className="xq-home">正在加载… Loading…</p>}>
          <SetupPage />
        </Suspense>
      );
    case "login":
      return (
        <Suspense fallback={<p className="xq-home">正在加载… Loading…</p>}>
          <LoginPage />
        </Suspense>
      );
    case "slips":
      return (
        <Suspense fallback={<p className="xq-home">正在加载… Loading…</p>}>
          <SlipsPage />
        </Suspense>
      );
    case "not-found":
      return (
        <main className="xq-home">
          <h1>心晴 XinQing</h1>
          <p>找不到这个页面。Page not found.</p>
          <p>
            <a href="/">返回首页 · Home</a>
          </p>
        </main>
      );
  }
}
