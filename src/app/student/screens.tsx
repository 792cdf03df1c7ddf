/**
 * The student's screens around the survey: code entry, the plain-language introduction (with decline), and
 * the end pages. Plain React, no survey-core: these render before the survey chunk has loaded.
 */
import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { UserText } from "../ui/UserText";
import { helpResources, texts, type HelpResource, type HotlineSetting, type Lang, type StudentErrorCode } from "./texts";

export function CodeScreen(props: { lang: Lang; error: StudentErrorCode | null; busy: boolean; onSubmit: (code: string) => void }) {
  const t = texts[props.lang];
  const [code, setCode] = useState("");
  const inputId = useId();
  const hintId = useId();
  const errorId = useId();
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    input.current?.focus();
  }, [props.error]);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!props.busy) props.onSubmit(code);
  };
  return (
    <section className="xq-card" aria-labelledby={`${inputId}-title`}>
      <h1 id={`${inputId}-title`}>{t.codeTitle}</h1>
      <p>{t.codeAbout}</p>
      <form onSubmit={submit} noValidate>
        <label htmlFor={inputId} className="xq-label">
          {t.codeLabel}
        </label>
        <p id={hintId} className="xq-hint">
          {t.codeLead} {t.codeHint}
        </p>
        <input
          ref={input}
          id={inputId}
          className="xq-code-input"
          name="code"
          type="text"
          value={code}
          onChange={(e) => setCode(e.target.value)}
          autoComplete="off"
          autoCapitalize="characters"
          autoCorrect="off"
          spellCheck={false}
          maxLength={64}
          aria-describedby={props.error ? `${hintId} ${errorId}` : hintId}
          aria-invalid={props.error ? true : undefined}
        />
        {props.error && (
          <p id={errorId} className="xq-alert" role="alert">
            {t.errors[props.error]}
          </p>
        )}
        <button type="submit" className="xq-button xq-primary" disabled={props.busy} aria-busy={props.busy}>
          {props.busy ? t.codeChecking : t.codeSubmit}
        </button>
      </form>
    </section>
  );
}

export function IntroScreen(props: {
  lang: Lang;
  schoolName: string;
  resuming: boolean;
  busy: boolean;
  error: StudentErrorCode | null;
  onStart: () => void;
  onDecline: () => void;
}) {
  const t = texts[props.lang];
  const [confirming, setConfirming] = useState(false);
  const titleId = useId();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <section className="xq-card" aria-labelledby={titleId}>
      <h1 id={titleId} ref={heading} tabIndex={-1}>
        {t.introTitle.before}
        <UserText text={props.schoolName} />
        {t.introTitle.after}
      </h1>
      <p>{t.introWhat}</p>
      <p>{t.introWho}</p>
      <p>{t.introHow}</p>
      <p>{t.introDecline}</p>
      {props.error && (
        <p className="xq-alert" role="alert">
          {t.errors[props.error]}
        </p>
      )}
      {confirming ? (
        <div className="xq-confirm" role="group" aria-label={t.declineConfirm}>
          <p>{t.declineConfirm}</p>
          <div className="xq-actions">
            <button type="button" className="xq-button" onClick={() => setConfirming(false)} disabled={props.busy}>
              {t.declineNo}
            </button>
            <button type="button" className="xq-button xq-secondary" onClick={props.onDecline} disabled={props.busy} aria-busy={props.busy}>
              {t.declineYes}
            </button>
          </div>
        </div>
      ) : (
        <div className="xq-actions">
          <button type="button" className="xq-button xq-primary" onClick={props.onStart} disabled={props.busy}>
            {props.resuming ? t.introContinue : t.introStart}
          </button>
          <button type="button" className="xq-button xq-secondary" onClick={() => setConfirming(true)} disabled={props.busy}>
            {t.introDeclineButton}
          </button>
        </div>
      )}
    </section>
  );
}

/** An end page starts at the top (the survey page before it may have been scrolled far down), its heading focused. */
function focusTop(heading: HTMLElement | null): void {
  heading?.focus({ preventScroll: true });
  window.scrollTo(0, 0);
}

function HelpList({ lang, resources }: { lang: Lang; resources: readonly HelpResource[] }) {
  const t = texts[lang];
  const titleId = useId();
  return (
    <section className="xq-help" aria-labelledby={titleId}>
      <h2 id={titleId}>{t.helpTitle}</h2>
      <ul>
        {resources.map((r) => (
          <li key={`${r.name}|${r.detail}`}>
            <strong>{r.name}</strong>
            <span>{r.detail}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** The thank-you page: help resources always; the kind sentence only when an answer needs a counselor. Never a score. */
export function DoneScreen(props: { lang: Lang; critical: boolean; hotlines: readonly HotlineSetting[]; onFinish: () => void }) {
  const t = texts[props.lang];
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => focusTop(heading.current), []);
  return (
    <section className="xq-card" data-screen="done">
      <h1 ref={heading} tabIndex={-1}>
        {t.doneTitle}
      </h1>
      <p>{t.doneText}</p>
      {props.critical && <p className="xq-kind">{t.doneCritical}</p>}
      <HelpList lang={props.lang} resources={helpResources(props.lang, props.hotlines)} />
      <p className="xq-hint">{t.finishHint}</p>
      <button type="button" className="xq-button xq-primary" onClick={props.onFinish}>
        {t.finish}
      </button>
    </section>
  );
}

export function DeclinedScreen(props: { lang: Lang; hotlines: readonly HotlineSetting[]; onFinish: () => void }) {
  const t = texts[props.lang];
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => focusTop(heading.current), []);
  return (
    <section className="xq-card" data-screen="declined">
      <h1 ref={heading} tabIndex={-1}>
        {t.declinedTitle}
      </h1>
      <p>{t.declinedText}</p>
      <HelpList lang={props.lang} resources={helpResources(props.lang, props.hotlines)} />
      <p className="xq-hint">{t.finishHint}</p>
      <button type="button" className="xq-button xq-primary" onClick={props.onFinish}>
        {t.finish}
      </button>
    </section>
  );
}
