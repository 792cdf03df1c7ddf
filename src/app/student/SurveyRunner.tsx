/**
 * The battery in SurveyJS (its own lazy chunk: survey-core and survey-react-ui load only here). The SurveyJS
 * JSON and the table that maps its data to answers come from the server (GET /api/student/survey), so neither
 * the instruments nor zod are in the student's bundle. One instrument per page, progress bar, no auto-advance,
 * no cookie, no completed page: when the student presses Submit, SurveyJS validates the last page and this
 * component submits; the end page is React's.
 *
 * Every page change and (debounced) every answer pushes a snapshot to the save queue; page visits are timed
 * here because SurveyJS does not keep time spent.
 */
import { useEffect, useMemo, useRef, useState } from "react";
import { Model, surveyLocalization } from "survey-core";
import "survey-core/i18n/simplified-chinese";
import "survey-core/survey-core.fontless.min.css";
import { Survey } from "survey-react-ui";
import type { ApiClient } from "../ui/api";
import type { AnswerMap } from "./answers";
import { newIdempotencyKey, studentApi, type SubmitReply } from "./api";
import { createSaveQueue, MAX_VISITS_PER_SAVE, retryWithBackoff, type PageVisit, type SaveStatus, type Snapshot } from "./save-queue";
import { answersToSurveyData, surveyDataToAnswers, type StudentSurvey } from "./survey-data";
import { texts, type Lang } from "./texts";

/** Answers are pushed to the queue this long after the last change on a page (a page change saves at once). */
const VALUE_DEBOUNCE_MS = 1_500;

/**
 * Strings of survey-core's "zh-cn" file that were machine-translated badly or use ASCII punctuation, as
 * XinQing's own Chinese uses full-width punctuation. Only strings this survey can show are listed.
 */
const ZH_FIXES: Record<string, string> = {
  progressText: "第 {0} 页，共 {1} 页",
  indexText: "第 {0} 页，共 {1} 页",
  progressbarPage: "第 {0} 页",
  questionsProgressText: "已回答 {0}/{1} 题",
  pageNextText: "下一页",
  pagePrevText: "上一页",
  completeText: "提交问卷",
  requiredError: "请回答这一题。",
  requiredInAllRowsError: "请回答每一行。",
  requiredErrorInPanel: "请至少回答一题。",
  commentText: "请在这里填写",
  numericError: "请填写一个数字。",
  minError: "不能小于 {0}。",
  maxError: "不能大于 {0}。",
  textMaxLength: "最多可以填写 {0} 个字。",
  loadingSurvey: "正在加载问卷…",
  loadingPage: "正在加载…",
  loadingData: "正在加载…",
  emptySurvey: "这份问卷没有需要你回答的问题。",
  ratingOptionsCaption: "请选择…",
  buttongroupOptionsCaption: "请选择…",
  placeholder: "请选择…",
  ok: "确定",
  cancel: "取消",
  tagboxDoneButtonCaption: "确定",
  choices_Choice: "选项",
  panelDynamicTabTextFormat: "第 {panelIndex} 组",
  panelDynamicProgressText: "第 {0} 组，共 {1} 组",
  progressbar: "进度",
};

let localeFixed = false;
/** Applies ZH_FIXES once per page load (survey-core's localization table is global). */
export function fixChineseStrings(): void {
  if (localeFixed) return;
  const zh = surveyLocalization.locales["zh-cn"] as Record<string, string> | undefined;
  if (zh) Object.assign(zh, ZH_FIXES);
  localeFixed = true;
}

export interface SurveyRunnerProps {
  readonly api: ApiClient;
  readonly lang: Lang;
  /** The battery's SurveyJS JSON and ref table (GET /api/student/survey). */
  readonly survey: StudentSurvey;
  /** What the server holds (GET /api/student/response): answers, the page to continue on, the last save's seq. */
  readonly resume: { readonly answers: AnswerMap; readonly currentPage: number; readonly seq: number };
  readonly onSubmitted: (result: SubmitReply) => void;
  /** The server refused for good (session ended, wave closed, already submitted elsewhere). */
  readonly onRefused: (status: number, code: string) => void;
}

type SubmitState = { kind: "idle" } | { kind: "submitting"; offline: boolean } | { kind: "failed"; message: string };

const now = () => Date.now();

export default function SurveyRunner(props: SurveyRunnerProps) {
  const { api, survey, resume } = props;
  const t = texts[props.lang];
  const [saveStatus, setSaveStatus] = useState<SaveStatus>({ kind: "saved" });
  const [submit, setSubmit] = useState<SubmitState>({ kind: "idle" });
  const callbacks = useRef(props);
  callbacks.current = props;

  // Built once per mount: the model, the queue and the timing state live and die with this student.
  const built = useMemo(() => {
    fixChineseStrings();
    const model = new Model(survey.survey);
    model.locale = props.lang === "en" ? "en" : "zh-cn";
    model.autoFocusFirstQuestion = true;
    model.applyTheme({ cssVariables: { "--sjs-font-size": "18px", "--sjs-base-unit": "9px", "--sjs-primary-backcolor": "#1f6f8b", "--sjs-primary-backcolor-dark": "#185a71" } });
    model.data = answersToSurveyData(survey.refs, resume.answers);
    const last = Math.max(0, model.visiblePageCount - 1);
    model.currentPageNo = Math.min(Math.max(0, Math.trunc(resume.currentPage)), last);
    // A battery with no page (should the server ever send one) cannot be answered here.
    return model.pageCount > 0 ? { ok: true as const, model } : { ok: false as const };
    // Built once per student: later prop changes (the language) are applied by the effect below.
  }, []);

  useEffect(() => {
    if (built.ok) built.model.locale = props.lang === "en" ? "en" : "zh-cn";
  }, [built, props.lang]);

  useEffect(() => {
    if (!built.ok) return;
    const { model } = built;
    // One page per instrument, in the battery's order (instruments/to-survey.ts).
    const instruments = survey.battery.instruments;
    const pageInstrument = () => instruments[model.currentPageNo] ?? instruments[0] ?? "";
    // Visits recorded on this PC; the server merges them with those of other PCs.
    let visits: PageVisit[] = [];
    let visit = { instrument: pageInstrument(), startedAt: now() };
    let debounce: ReturnType<typeof setTimeout> | null = null;
    let submitting = false;
    let submitKey: string | null = null;
    let unmounted = false;

    const queue = createSaveQueue({
      initial: { answers: resume.answers, currentPage: model.currentPageNo, pages: [] },
      seq: resume.seq,
      send: (body) => studentApi.save(api, body),
      newKey: newIdempotencyKey,
      timers: { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) },
      random: Math.random,
      onStatus: (status) => {
        if (unmounted) return;
        setSaveStatus(status);
        if (status.kind === "failed") callbacks.current.onRefused(status.status, status.error.code);
      },
    });
    const snapshot = (): Snapshot => ({ answers: surveyDataToAnswers(survey.refs, model.data), currentPage: model.currentPageNo, pages: visits });
    const flushValues = () => {
      if (debounce !== null) clearTimeout(debounce);
      debounce = null;
    };

    const onPageChanged = () => {
      const endedAt = now();
      visits = [...visits, { ...visit, endedAt }];
      visit = { instrument: pageInstrument(), startedAt: endedAt };
      flushValues();
      queue.push(snapshot());
    };
    const onValueChanged = () => {
      flushValues();
      debounce = setTimeout(() => {
        debounce = null;
        queue.push(snapshot());
      }, VALUE_DEBOUNCE_MS);
    };
    const completeAction = () => model.navigationBar.getActionById("sv-nav-complete");
    const doSubmit = async () => {
      submitting = true;
      const action = completeAction();
      if (action) action.enabled = false;
      setSubmit({ kind: "submitting", offline: false });
      flushValues();
      queue.stop();
      await queue.idle();
      // Every visit of this PC (the server merges duplicates), at most the 100 a call may carry.
      const pages = [...visits, { ...visit, endedAt: now() }].slice(-MAX_VISITS_PER_SAVE);
      const body = { idempotencyKey: (submitKey ??= newIdempotencyKey()), answers: surveyDataToAnswers(survey.refs, model.data), pages };
      const outcome = await retryWithBackoff(() => studentApi.submit(api, body), {
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        random: Math.random,
        isCancelled: () => unmounted,
        onRetry: () => {
          if (!unmounted) setSubmit({ kind: "submitting", offline: true });
        },
      });
      if (unmounted) return;
      if (outcome.ok) {
        callbacks.current.onSubmitted(outcome.data);
        return;
      }
      submitting = false;
      if (action) action.enabled = true;
      if (outcome.kind === "http") {
        // A refusal that will not change (session over, wave closed, already submitted) ends the survey here.
        if (outcome.status === 401 || outcome.status === 403 || outcome.status === 409 || outcome.status === 410) {
          callbacks.current.onRefused(outcome.status, outcome.error.code);
          return;
        }
        // Anything else (e.g. an answer the server rejects): a new key, so a corrected retry is a new request.
        submitKey = null;
        setSubmit({ kind: "failed", message: texts[callbacks.current.lang].errors.other });
      }
    };
    const onCompleting = (_: unknown, options: { allow: boolean }) => {
      // SurveyJS validated the last page; XinQing submits and shows its own end page (no completedHtml).
      options.allow = false;
      if (!submitting) void doSubmit();
    };
    const onOnline = () => queue.retryNow();
    const onBeforeUnload = (event: BeforeUnloadEvent) => {
      if (queue.status().kind !== "saved" || submitting) event.preventDefault();
    };

    model.onCurrentPageChanged.add(onPageChanged);
    model.onValueChanged.add(onValueChanged);
    model.onCompleting.add(onCompleting);
    window.addEventListener("online", onOnline);
    window.addEventListener("beforeunload", onBeforeUnload);
    return () => {
      unmounted = true;
      flushValues();
      queue.stop();
      model.onCurrentPageChanged.remove(onPageChanged);
      model.onValueChanged.remove(onValueChanged);
      model.onCompleting.remove(onCompleting);
      window.removeEventListener("online", onOnline);
      window.removeEventListener("beforeunload", onBeforeUnload);
    };
  }, [api, built, resume, survey]);

  if (!built.ok) {
    return (
      <p className="xq-alert" role="alert">
        {t.loadFailed}
      </p>
    );
  }

  return (
    <div className="xq-survey">
      {/* The page's one h1 (SurveyJS titles its pages with lower headings), for screen-reader navigation. */}
      <h1 className="xq-visually-hidden">{t.surveyHeading}</h1>
      <SaveLine lang={props.lang} status={saveStatus} submit={submit} />
      <Survey model={built.model} />
    </div>
  );
}

function SaveLine({ lang, status, submit }: { lang: Lang; status: SaveStatus; submit: SubmitState }) {
  const t = texts[lang];
  let text: string;
  let tone: "quiet" | "calm" | "alert" = "quiet";
  if (submit.kind === "submitting") {
    text = submit.offline ? t.submitOffline : t.submitting;
    tone = submit.offline ? "calm" : "quiet";
  } else if (submit.kind === "failed") {
    text = submit.message;
    tone = "alert";
  } else if (status.kind === "waiting") {
    text = t.offline;
    tone = "calm";
  } else if (status.kind === "failed") {
    text = t.saveFailed;
    tone = "alert";
  } else {
    text = status.kind === "saving" ? t.saving : t.saved;
  }
  return (
    <p className={`xq-save xq-save-${tone}`} role="status" aria-live="polite" data-save-state={submit.kind === "idle" ? status.kind : `submit-${submit.kind}`}>
      {text}
    </p>
  );
}
