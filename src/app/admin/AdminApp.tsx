/**
 * Administration (/admin and its sections), for the district administrator (schools, accounts, the audit
 * log) and the school lead (roster, classes, waves, consent, access codes, the school's accounts). The
 * page reads its own sub-path (/admin/waves …) and moves between sections without reloading.
 */
import { useEffect, useState, type MouseEvent } from "react";
import type { SessionAccount } from "../../shared/accounts";
import type { Role } from "../../shared/api";
import { StaffShell } from "../staff/StaffShell";
import { AccountsSection } from "./AccountsSection";
import { AuditSection } from "./AuditSection";
import { ClassesSection } from "./ClassesSection";
import { CodesSection } from "./CodesSection";
import { ConsentSection } from "./ConsentSection";
import { sectionOf, sectionsOf, type SectionId } from "./model";
import { RosterSection } from "./RosterSection";
import { SchoolsSection } from "./SchoolsSection";
import { WavesSection } from "./WavesSection";
import "./admin.css";

const ROLES: readonly Role[] = ["admin", "school-lead"];

export default function AdminApp() {
  return (
    <StaffShell title="管理 · Administration" roles={ROLES}>
      {(account) => <Admin account={account} />}
    </StaffShell>
  );
}

/** The current path, following the back and forward buttons. */
function usePath(): [string, (href: string) => void] {
  const [path, setPath] = useState(window.location.pathname);
  useEffect(() => {
    const onPop = () => setPath(window.location.pathname);
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, []);
  const go = (href: string) => {
    window.history.pushState(null, "", href);
    setPath(href);
  };
  return [path, go];
}

function Admin({ account }: { account: SessionAccount }) {
  const [path, go] = usePath();
  const sections = sectionsOf(account.role);
  const current = sectionOf(path, account.role);
  const follow = (event: MouseEvent<HTMLAnchorElement>, href: string) => {
    // A new tab or window opens as the browser does it.
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    go(href);
  };
  return (
    <>
      <nav className="xq-admin-tabs" aria-label="管理栏目 · Sections">
        {sections.map((s) => (
          <a key={s.id} href={s.href} aria-current={s.id === current ? "page" : undefined} onClick={(e) => follow(e, s.href)}>
            {s.label}
          </a>
        ))}
      </nav>
      {current === null ? <p role="alert">找不到这个页面。Page not found.</p> : <SectionView id={current} account={account} />}
    </>
  );
}

function SectionView({ id, account }: { id: SectionId; account: SessionAccount }) {
  switch (id) {
    case "schools":
      return <SchoolsSection />;
    case "accounts":
      return <AccountsSection account={account} />;
    case "audit":
      return <AuditSection />;
  }
  // The rest are a school's sections: a school lead always has a school (the server refuses one without).
  const schoolId = account.schoolId;
  if (schoolId === null) return <p role="alert">此账号不属于任何学校。This account belongs to no school.</p>;
  switch (id) {
    case "roster":
      return <RosterSection schoolId={schoolId} />;
    case "classes":
      return <ClassesSection schoolId={schoolId} />;
    case "waves":
      return <WavesSection schoolId={schoolId} />;
    case "consent":
      return <ConsentSection schoolId={schoolId} />;
    case "codes":
      return <CodesSection schoolId={schoolId} />;
  }
}
