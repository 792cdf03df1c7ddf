/**
 * The app shell and its routes. Each feature is a lazy route and its own chunk, so the student page never
 * loads staff code or charts, and staff pages never load survey-core. "/" is the student's page (the lab PCs
 * open the server's root). A route owns its path and everything under it (`/counselor/cases/…`); the
 * feature reads the rest of the path itself. Add a feature with one line in `ROUTES`.
 */
import { lazy, Suspense, type ComponentType, type LazyExoticComponent } from "react";

type Page = LazyExoticComponent<ComponentType>;

/** Path prefix → route name and page, longest prefix first where they overlap. */
const ROUTES: readonly { readonly path: string; readonly kind: string; readonly page: Page; readonly exact?: boolean }[] = [
  { path: "/", kind: "student", page: lazy(() => import("./student/StudentApp")), exact: true },
  { path: "/student", kind: "student", page: lazy(() => import("./student/StudentApp")), exact: true },
  { path: "/setup", kind: "setup", page: lazy(() => import("./account/SetupPage")), exact: true },
  { path: "/login", kind: "login", page: lazy(() => import("./staff/LoginPage")), exact: true },
  { path: "/staff/slips", kind: "slips", page: lazy(() => import("./staff/SlipsPage")), exact: true },
  { path: "/admin", kind: "admin", page: lazy(() => import("./admin/AdminApp")) },
  { path: "/counselor", kind: "counselor", page: lazy(() => import("./counselor/CounselorApp")) },
  { path: "/analyst", kind: "analyst", page: lazy(() => import("./analyst/AnalystPage")) },
  { path: "/observe", kind: "observe", page: lazy(() => import("./observe/ObservePage")) },
];

export type Route = { readonly kind: string; readonly page: Page } | { readonly kind: "not-found"; readonly path: string };

/** The route of a path. Unknown paths get a plain page rather than the student's survey. */
export function routeOf(pathname: string): Route {
  const path = pathname.replace(/\/+$/, "") || "/";
  const route = ROUTES.find((r) => path === r.path || (!r.exact && path.startsWith(`${r.path}/`)));
  return route ?? { kind: "not-found", path };
}

export function App({ pathname = window.location.pathname }: { pathname?: string }) {
  const route = routeOf(pathname);
  if (!("page" in route)) {
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
  const Page = route.page;
  return (
    <Suspense fallback={<p className="xq-home">正在加载… Loading…</p>}>
      <Page />
    </Suspense>
  );
}
