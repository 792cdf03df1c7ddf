/**
 * The student route ("/"), a lazy chunk of its own: code → introduction → survey (a second lazy chunk with
 * survey-core) → thank-you page. Everything about the student lives in this component's state; a kiosk reset
 * (after submit, decline, or 10 minutes idle) remounts it from nothing, clears Web Storage and ends the
 * server session, so the next student at the PC finds no trace of the previous one.
 */
import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from "react";
import { createApiClient, type ApiClient, type ApiFailure } from "../ui/api";
import { newIdempotencyKey, studentApi, type ResponseState, type StudentSession, type SubmitReply } from "./api";
import type { AnswerMap } from "./answers";
import { clearBrowserStorage, END_PAGE_MS, IDLE_TIMEOUT_MS, normalizeCode, startIdleTimer } from "./kiosk";
import { retryWithBackoff } from "./save-queue";
import { CodeScreen, DeclinedScreen, DoneScreen, IntroScreen } from "./screens";
import type { Hotline, StudentSurvey } from "./survey-data";
import { texts, type Lang, type StudentErrorCode } from "./texts";
import "./student.css";

const loadSurvey = () => import("./SurveyRunner");
const SurveyRunner = lazy(loadSurvey);

interface Resume {
  readonly answers: AnswerMap;
  readonly currentPage: number;
  readonly seq: number;
}

type Screen =
  | { kind: "code"; error: StudentErrorCode | null; busy: boolean }
  | { kind: "intro"; session: StudentSession; survey: StudentSurvey; resume: Resume; busy: boolean; error: StudentErrorCode | null }
  | { kind: "survey"; session: StudentSession; survey: StudentSurvey; resume: Resume }
  | { kind: "done"; critical: boolean; hotlines: readonly Hotline[] }
  | { kind: "declined"; hotlines: readonly Hotline[] };

const KNOWN_ERRORS: readonly StudentErrorCode[] = ["code_invalid", "wave_closed", "code_used", "locked"];

/** The message for a failed call: the server's own code when the page knows it, else network / session / other. */
export function errorFor(failure: ApiFailure): StudentErrorCode {
  if (failure.kind === "network") return "network";
  const code = failure.error.code as StudentErrorCode;
  if (KNOWN_ERRORS.includes(code)) return code;
  if (failure.status === 429) return "locked";
  if (failure.status === 401 || failure.error.code === "csrf") return "session";
  if (failure.status >= 500) return "network";
  return "other";
}


/** The end page's hotlines as far as the visit knows them (none before the survey was loaded). */
function hotlinesOf(screen: Screen): readonly Hotline[] {
  switch (screen.kind) {
    case "intro":
    case "survey":
      return screen.survey.help.hotlines;
    case "done":
    case "declined":
      return screen.hotlines;
    case "code":
      return [];
  }
}

function resumeOf(state: ResponseState): Resume {
  return { answers: state.answers ?? {}, currentPage: state.currentPage ?? 0, seq: state.seq ?? 0 };
}

/** One student's visit, from the code screen to the end page. Remounted (by key) for the next student. */
function StudentVisit(props: { lang: Lang; api: ApiClient; onReset: () => void; onSignedIn: () => void }) {
  const { api, lang, onReset } = props;
  const [screen, setScreen] = useState<Screen>({ kind: "code", error: null, busy: false });

  const enterCode = useCallback(
    async (typed: string) => {
      const code = normalizeCode(typed);
      if (code === "") {
        setScreen({ kind: "code", error: "code_empty", busy: false });
        return;
      }
      setScreen({ kind: "code", error: null, busy: true });
      const entered = await studentApi.enterCode(api, code);
      if (!entered.ok) {
        setScreen({ kind: "code", error: errorFor(entered), busy: false });
        return;
      }
      api.setCsrfToken(entered.data.csrfToken);
      props.onSignedIn();
      // Start fetching survey-core while the student reads the introduction.
      void loadSurvey();
      const [loaded, survey] = await Promise.all([studentApi.loadResponse(api), studentApi.loadSurvey(api)]);
      if (!loaded.ok) {
        setScreen({ kind: "code", error: errorFor(loaded), busy: false });
        return;
      }
      if (loaded.data.status === "submitted" || loaded.data.status === "declined") {
        setScreen({ kind: "code", error: "code_used", busy: false });
        return;
      }
      if (!survey.ok) {
        setScreen({ kind: "code", error: errorFor(survey), busy: false });
        return;
      }
      setScreen({ kind: "intro", session: entered.data, survey: survey.data, resume: resumeOf(loaded.data), busy: false, error: null });
    },
    [api, props],
  );

  const decline = useCallback(async () => {
    if (screen.kind !== "intro") return;
    setScreen({ ...screen, busy: true, error: null });
    const idempotencyKey = newIdempotencyKey();
    const result = await retryWithBackoff(() => studentApi.decline(api, idempotencyKey), {
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      random: Math.random,
      isCancelled: () => false,
    });
    if (result.ok) {
      clearBrowserStorage();
      setScreen({ kind: "declined", hotlines: screen.survey.help.hotlines });
    } else if (result.kind !== "cancelled") {
      setScreen({ ...screen, busy: false, error: errorFor(result) });
    }
  }, [api, screen]);

  const onSubmitted = useCallback((result: SubmitReply) => {
    // The answers go with the survey component; only this boolean stays until the reset.
    clearBrowserStorage();
    setScreen((prev) => ({ kind: "done", critical: result.critical === true, hotlines: hotlinesOf(prev) }));
  }, []);

  const onRefused = useCallback((status: number, code: string) => {
    // Submitted or declined meanwhile (a retry whose first reply was lost, or on another PC): the end page.
    if (code === "already_submitted" || code === "already_declined") {
      clearBrowserStorage();
      setScreen((prev) => (code === "already_submitted" ? { kind: "done", critical: false, hotlines: hotlinesOf(prev) } : { kind: "declined", hotlines: hotlinesOf(prev) }));
      return;
    }
    const error: StudentErrorCode = KNOWN_ERRORS.includes(code as StudentErrorCode) ? (code as StudentErrorCode) : status === 401 || code === "csrf" ? "session" : status === 409 ? "code_used" : "other";
    api.setCsrfToken(null);
    setScreen({ kind: "code", error, busy: false });
  }, [api]);

  // The thank-you and declined pages give way to a clean code screen after a while.
  useEffect(() => {
    if (screen.kind !== "done" && screen.kind !== "declined") return;
    const timer = setTimeout(onReset, END_PAGE_MS);
    return () => clearTimeout(timer);
  }, [screen.kind, onReset]);

  const t = texts[lang];
  switch (screen.kind) {
    case "code":
      return <CodeScreen lang={lang} error={screen.error} busy={screen.busy} onSubmit={(code) => void enterCode(code)} />;
    case "intro":
      return (
        <IntroScreen
          lang={lang}
          schoolName={screen.session.school.name}
          resuming={screen.resume.currentPage > 0 || Object.keys(screen.resume.answers).length > 0}
          busy={screen.busy}
          error={screen.error}
          onStart={() => setScreen({ kind: "survey", session: screen.session, survey: screen.survey, resume: screen.resume })}
          onDecline={() => void decline()}
        />
      );
    case "survey":
      return (
        <Suspense fallback={<p role="status">{t.loading}</p>}>
          <SurveyRunner api={api} lang={lang} survey={screen.survey} resume={screen.resume} onSubmitted={onSubmitted} onRefused={onRefused} />
        </Suspense>
      );
    case "done":
      return <DoneScreen lang={lang} critical={screen.critical} hotlines={screen.hotlines} onFinish={onReset} />;
    case "declined":
      return <DeclinedScreen lang={lang} hotlines={screen.hotlines} onFinish={onReset} />;
  }
}

export default function StudentApp() {
  const [lang, setLang] = useState<Lang>("zh-CN");
  const [generation, setGeneration] = useState(0);
  const [signedIn, setSignedIn] = useState(false);
  // A new client per student: the CSRF token of the previous one cannot leak into the next visit.
  const api = useMemo(() => createApiClient(), [generation]);

  const reset = useCallback(() => {
    if (signedIn) void studentApi.signOut(api);
    api.setCsrfToken(null);
    clearBrowserStorage();
    setSignedIn(false);
    setLang("zh-CN");
    setGeneration((g) => g + 1);
    window.scrollTo(0, 0);
  }, [api, signedIn]);

  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);

  // Ten minutes without input anywhere on the page: the next student may be sitting down.
  useEffect(
    () =>
      startIdleTimer({
        timeoutMs: IDLE_TIMEOUT_MS,
        onIdle: reset,
        target: window,
        setTimeout: (fn, ms) => setTimeout(fn, ms),
        clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
      }),
    [reset, generation],
  );

  const t = texts[lang];
  const onSignedIn = useCallback(() => setSignedIn(true), []);
  return (
    <div className="xq-student" lang={lang}>
      <header className="xq-bar">
        <span className="xq-brand">{t.appName}</span>
        <button type="button" className="xq-button xq-lang" onClick={() => setLang(lang === "en" ? "zh-CN" : "en")} aria-label={t.langSwitchLabel} lang={lang === "en" ? "zh-CN" : "en"}>
          {t.langSwitch}
        </button>
      </header>
      <main className="xq-main">
        <StudentVisit key={generation} lang={lang} api={api} onReset={reset} onSignedIn={onSignedIn} />
      </main>
    </div>
  );
}
