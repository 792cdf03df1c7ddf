/**
 * bench/bundle: what the student's browser downloads, measured on a real `vite build` (issue 5, "Build and size").
 *
 * Builds the SPA into a temporary directory with a manifest and prints the gzip size of
 *   - the initial JS (the entry and its static imports: what loads before anything is lazy),
 *   - the student route's chunk (code screen, introduction, end page: loaded for "/"),
 *   - the survey chunk (survey-core, survey-react-ui and the page's own survey code: loaded when the survey
 *     starts; the SurveyJS JSON comes from the server, GET /api/student/survey),
 * and, in the same run, builds a bare page (React + a lazy survey-core + survey-react-ui component with the
 * same CSS and locale) to print the ratio of our survey chunk to the bare one. It also checks that nothing of
 * zod, the instruments, staff pages or chart libraries reaches the student's chunks.
 *
 * Targets: initial student JS before the survey chunk ≤ 100 KB gz; survey chunk within 10% of the bare one.
 * Run: `npx tsx bench/bundle.ts`. A benchmark reports: it exits 0 whatever the numbers and prints PASS or OVER
 * for each target (tests assert, benchmarks measure).
 */
import react from "@vitejs/plugin-react";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build, type Manifest } from "vite";
import { getInstrument } from "../instruments/index";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

interface Sizes {
  readonly raw: number;
  readonly gz: number;
  readonly files: readonly string[];
}

const gz = (buf: Buffer) => gzipSync(buf, { level: 9 }).length;
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

function sizeOf(outDir: string, files: Iterable<string>): Sizes {
  let raw = 0;
  let zipped = 0;
  const list = [...files];
  for (const file of list) {
    const buf = readFileSync(join(outDir, file));
    raw += buf.length;
    zipped += gz(buf);
  }
  return { raw, gz: zipped, files: list };
}

/** The JS files a manifest key loads statically: its own file and its static imports, recursively. */
function staticClosure(manifest: Manifest, key: string, seen = new Set<string>()): Set<string> {
  const chunk = manifest[key];
  if (!chunk || seen.has(key)) return new Set();
  seen.add(key);
  const files = new Set<string>([chunk.file]);
  for (const imp of chunk.imports ?? []) for (const f of staticClosure(manifest, imp, seen)) files.add(f);
  return files;
}

function cssOf(manifest: Manifest, key: string): string[] {
  const chunk = manifest[key];
  return chunk?.css ?? [];
}

const minus = (a: Set<string>, ...others: Set<string>[]) => new Set([...a].filter((f) => !others.some((o) => o.has(f))));

function findKey(manifest: Manifest, suffix: string): string {
  const key = Object.keys(manifest).find((k) => k.endsWith(suffix));
  if (!key) throw new Error(`no chunk for ${suffix} in the manifest: ${Object.keys(manifest).join(", ")}`);
  return key;
}

async function buildInto(options: { root: string; outDir: string; configFile: string | false }): Promise<Manifest> {
  await build({
    root: options.root,
    configFile: options.configFile,
    plugins: options.configFile === false ? [react()] : [],
    logLevel: "warn",
    build: { outDir: options.outDir, emptyOutDir: true, manifest: "manifest.json", sourcemap: false, chunkSizeWarningLimit: 4096 },
  });
  return JSON.parse(readFileSync(join(options.outDir, "manifest.json"), "utf8")) as Manifest;
}

/** A bare SurveyJS page: React entry, one lazy component with survey-core + survey-react-ui, same CSS and locale. */
function writeBarePage(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "index.html"), '<!doctype html><html><body><div id="root"></div><script type="module" src="./main.tsx"></script></body></html>');
  writeFileSync(
    join(dir, "main.tsx"),
    `import { lazy, Suspense } from "react";
import { createRoot } from "react-dom/client";
const Bare = lazy(() => import("./bare-survey"));
createRoot(document.getElementById("root")!).render(<Suspense fallback={null}><Bare /></Suspense>);
`,
  );
  writeFileSync(
    join(dir, "bare-survey.tsx"),
    `import { Model } from "survey-core";
import "survey-core/i18n/simplified-chinese";
import "survey-core/survey-core.fontless.min.css";
import { Survey } from "survey-react-ui";
const model = new Model({ locale: "zh-cn", pages: [{ elements: [{ type: "radiogroup", name: "q", choices: [1, 2] }] }] });
export default function Bare() { return <Survey model={model} />; }
`,
  );
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), "xq-bundle-"));
  // The bare page must live under the project so that its bare imports resolve to our node_modules.
  const bareRoot = join(root, "node_modules", ".cache", "xq-bench-bare");
  try {
    const t0 = performance.now();
    const appOut = join(tmp, "app");
    const manifest = await buildInto({ root, outDir: appOut, configFile: join(root, "vite.config.ts") });
    const t1 = performance.now();

    const entryKey = Object.keys(manifest).find((k) => manifest[k]?.isEntry);
    if (!entryKey) throw new Error("no entry chunk in the manifest");
    const studentKey = findKey(manifest, "src/app/student/StudentApp.tsx");
    const surveyKey = findKey(manifest, "src/app/student/SurveyRunner.tsx");

    const initialFiles = staticClosure(manifest, entryKey);
    const studentFiles = minus(staticClosure(manifest, studentKey), initialFiles);
    const surveyFiles = minus(staticClosure(manifest, surveyKey), initialFiles, studentFiles);
    const initial = sizeOf(appOut, initialFiles);
    const student = sizeOf(appOut, studentFiles);
    const survey = sizeOf(appOut, surveyFiles);
    const beforeSurvey = initial.gz + student.gz;
    const surveyCss = sizeOf(appOut, cssOf(manifest, surveyKey));

    // Staff code and charts must never be in what "/" loads.
    const studentLoads = [...initialFiles, ...studentFiles, ...surveyFiles].map((f) => readFileSync(join(appOut, f), "utf8")).join("\n");
    const leaks = ["src/app/counselor", "src/app/analyst", "src/app/admin", "src/app/observe", "chart.js", "echarts", "recharts"].filter((m) => studentLoads.includes(m));
    // zod (its error class keeps its name when minified) and instrument data (PHQ-9 item 1's text) must stay on the server.
    const phq9First = getInstrument("phq9")?.items[0]?.text["zh-CN"] ?? "";
    const serverOnly = [
      ["zod", "ZodError"],
      ["instrument data", phq9First],
    ].filter(([, marker]) => marker !== "" && studentLoads.includes(marker!)).map(([name]) => name);

    writeBarePage(bareRoot);
    const bareOut = join(tmp, "bare");
    const bareManifest = await buildInto({ root: bareRoot, outDir: bareOut, configFile: false });
    const bareEntry = Object.keys(bareManifest).find((k) => bareManifest[k]?.isEntry)!;
    const bareSurveyKey = findKey(bareManifest, "bare-survey.tsx");
    const bareInitialFiles = staticClosure(bareManifest, bareEntry);
    const bareInitial = sizeOf(bareOut, bareInitialFiles);
    const bareSurvey = sizeOf(bareOut, minus(staticClosure(bareManifest, bareSurveyKey), bareInitialFiles));

    const t2 = performance.now();
    const ratio = survey.gz / bareSurvey.gz;
    const totalRatio = (beforeSurvey + survey.gz) / (bareInitial.gz + bareSurvey.gz);
    const rows: [string, Sizes][] = [
      ["initial JS (entry + static imports)", initial],
      ["student route chunk", student],
      ["survey chunk (survey-core + UI + page code)", survey],
      ["survey CSS (fontless)", surveyCss],
      ["bare page initial JS (React)", bareInitial],
      ["bare page survey chunk (survey-core + UI)", bareSurvey],
    ];
    console.log(`bench/bundle: vite build of the SPA ${((t1 - t0) / 1000).toFixed(1)} s, bare page ${((t2 - t1) / 1000).toFixed(1)} s`);
    for (const [name, s] of rows) console.log(`  ${name.padEnd(48)} ${kb(s.gz).padStart(10)} gz  ${kb(s.raw).padStart(10)} raw  (${s.files.length} file${s.files.length === 1 ? "" : "s"})`);
    const verdict = (ok: boolean) => (ok ? "PASS" : "OVER");
    console.log(`  ${verdict(beforeSurvey <= 100 * 1024)}  student JS before the survey chunk: ${kb(beforeSurvey)} gz (target ≤ 100 KB)`);
    console.log(`  ${verdict(ratio <= 1.1)}  survey chunk / bare survey chunk: ${ratio.toFixed(3)} (target ≤ 1.10)`);
    console.log(`  ${leaks.length === 0 ? "PASS" : "LEAK"}  staff or chart code in the student's chunks: ${leaks.length === 0 ? "none" : leaks.join(", ")}`);
    console.log(`  ${serverOnly.length === 0 ? "PASS" : "LEAK"}  zod or instrument data in the student's chunks: ${serverOnly.length === 0 ? "none" : serverOnly.join(", ")}`);
    console.log(`  (info) all student JS / bare page JS: ${totalRatio.toFixed(3)}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    rmSync(bareRoot, { recursive: true, force: true });
  }
}

// Exit 0 even when the build fails: the run reports (ERROR, with the reason) and the tests are what fail.
await main().catch((e: unknown) => console.log(`  ERROR  bench/bundle could not measure: ${e instanceof Error ? e.message : String(e)}`));
