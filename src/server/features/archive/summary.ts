/**
 * The printable summary of a transfer (档案转接摘要): one self-contained HTML page the sending school
 * prints and hands over with the bundle. It names the student, lists the waves with tiers and scores,
 * overrides, cases and their states, and counts observations and notices; free-text notes stay in the
 * encrypted bundle only (paper is easily lost). It carries the signing key's fingerprint, for the
 * receiver to compare with the key they are given, and the export id.
 *
 * Every value is HTML-escaped; the page has no script and forbids any (its own CSP), and no external
 * resource (no web fonts, no images).
 */
import type { ImportedRecord, RecordHistory } from "../../../shared/archive";

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text safe in HTML content and attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const TIER: Record<string, string> = { none: "无 · none", yellow: "黄 · yellow", orange: "橙 · orange", red: "红 · red" };
const SEASON: Record<string, string> = { spring: "春季 · spring", autumn: "秋季 · autumn" };
const STATE: Record<string, string> = {
  opened: "已开启 · opened",
  acknowledged: "已确认 · acknowledged",
  interviewed: "已约谈 · interviewed",
  planned: "已制定方案 · planned",
  referred: "已转介 · referred",
  "following-up": "随访中 · following up",
  returned: "已复学 · returned",
  closed: "已结案 · closed",
};

/** A China-time calendar day of an ISO instant ("2026-03-02"). */
function day(instant: string | null): string {
  if (instant === null) return "—";
  const t = new Date(instant).getTime();
  return Number.isNaN(t) ? "—" : new Date(t + 8 * 3_600_000).toISOString().slice(0, 10);
}

const cell = (v: unknown): string => `<td>${escapeHtml(v)}</td>`;
const row = (cells: unknown[]): string => `<tr>${cells.map(cell).join("")}</tr>`;
function table(headers: string[], rows: unknown[][], empty: string): string {
  if (rows.length === 0) return `<p class="empty">${escapeHtml(empty)}</p>`;
  return `<table><thead><tr>${headers.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join("")}</tr></thead><tbody>${rows.map(row).join("")}</tbody></table>`;
}

function historySection(h: RecordHistory, heading: string): string {
  const s = h.student;
  const waves = h.waves.map((w) => [
    `${w.schoolYear} ${SEASON[w.season] ?? w.season}`,
    w.response === null ? "未参加 · not taken" : w.response.status,
    w.result === null ? "—" : (TIER[w.result.tier] ?? w.result.tier),
    w.result === null ? "—" : w.result.reasons.map((r) => r.label["zh-CN"]).join("；") || "—",
    w.result === null || w.result.scores === null ? "—" : w.result.scores.map((sc) => `${sc.instrument} ${sc.total ?? sc.kind}${sc.band === null ? "" : ` (${sc.band})`}`).join("；"),
    w.result === null ? "—" : w.result.policyVersion,
  ]);
  const overrides = h.overrides.map((o) => [day(o.at), TIER[o.computedTier] ?? o.computedTier, TIER[o.tier] ?? o.tier, o.by.name]);
  const cases = h.cases.map((c) => [day(c.openedAt), TIER[c.tier] ?? c.tier, STATE[c.state] ?? c.state, c.plan ?? "—", day(c.closedAt), c.steps.length]);
  const byRole = new Map<string, number>();
  for (const o of h.observations) byRole.set(o.role, (byRole.get(o.role) ?? 0) + 1);
  return `<section>
<h2>${escapeHtml(heading)}</h2>
<dl>
<dt>姓名 · Name</dt><dd>${escapeHtml(s.name)}</dd>
<dt>学号 · Student number</dt><dd>${escapeHtml(s.studentNo)}</dd>
<dt>学校 · School</dt><dd>${escapeHtml(`${s.school.name} (${s.school.code})`)}</dd>
<dt>年级班级 · Class</dt><dd>${escapeHtml(`${s.class.grade} 年级 ${s.class.label} 班`)}</dd>
<dt>重点人群 · Key population</dt><dd>${escapeHtml(s.keyPopulation.length === 0 ? "—" : s.keyPopulation.join("、"))}</dd>
<dt>状态 · Status</dt><dd>${escapeHtml(`${s.status}${s.leftAt === null ? "" : ` ${day(s.leftAt)}`}`)}</dd>
</dl>
<h3>筛查 · Screening waves</h3>
${table(["轮次 · Wave", "作答 · Response", "预警 · Tier", "理由 · Reasons", "得分 · Scores", "规则版本 · Policy"], waves, "无 · none")}
<h3>预警调整 · Tier overrides</h3>
${table(["日期 · Date", "计算 · Computed", "调整为 · Set to", "调整人 · By"], overrides, "无 · none")}
<h3>个案 · Cases</h3>
${table(["开启 · Opened", "等级 · Tier", "状态 · State", "方案 · Plan", "结案 · Closed", "步骤 · Steps"], cases, "无 · none")}
<h3>观察与通知 · Observations and notices</h3>
<p>${escapeHtml([...byRole].map(([role, n]) => `${role}: ${n}`).join("；") || "无观察记录 · no observations")}；${escapeHtml(`关心提醒 · check-in notices: ${h.checkinNotices.length}`)}</p>
</section>`;
}

export interface SummaryInput {
  readonly exportId: string;
  readonly exportedAt: Date;
  readonly record: RecordHistory;
  readonly earlier: readonly ImportedRecord[];
  readonly fingerprint: string;
}

/** The whole printable page. */
export function transferSummaryHtml(input: SummaryInput): string {
  const earlier = input.earlier.map((e) => historySection(e.record, `此前学校 · Earlier school: ${e.from.schoolName} (${e.from.schoolCode})，${day(e.exportedAt)} 转出`));
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${escapeHtml(`心理成长档案转接摘要 · ${input.record.student.name}`)}</title>
<style>
body { font-family: system-ui, "PingFang SC", "Microsoft YaHei", sans-serif; margin: 2em; color: #111; }
h1 { font-size: 1.4em; } h2 { font-size: 1.2em; border-bottom: 1px solid #999; } h3 { font-size: 1em; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1em; } th, td { border: 1px solid #999; padding: 0.2em 0.4em; text-align: left; vertical-align: top; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.2em 1em; } dd { margin: 0; }
.verify { border: 2px solid #111; padding: 0.6em; margin: 1em 0; } .fingerprint { font-family: monospace; font-size: 1.1em; word-spacing: 0.3em; }
.empty { color: #555; } .confidential { font-weight: bold; }
</style>
</head>
<body>
<h1>心理成长档案转接摘要 · Growth record transfer summary</h1>
<p class="confidential">保密材料，仅供接收学校心理教师使用 · Confidential: for the receiving school's counselor only.</p>
<p>${escapeHtml(`转出学校 · From: ${input.record.student.school.name} (${input.record.student.school.code})；转出日期 · Exported: ${day(input.exportedAt.toISOString())}；编号 · Export id: ${input.exportId}`)}</p>
<div class="verify">
<p>签名公钥指纹 · Signing key fingerprint (SHA-256):</p>
<p class="fingerprint">${escapeHtml(input.fingerprint)}</p>
<p>导入前请核对：系统显示的发送方公钥指纹必须与此完全一致。转接口令另行告知，不随本摘要传递。<br>
Before importing, check that the sender's key fingerprint shown by XinQing is exactly this one. The transfer passphrase is given separately, never with this summary.</p>
</div>
${historySection(input.record, "本校档案 · This school's record")}
${earlier.join("\n")}
<p class="empty">完整档案（含记录原文）在加密档案包中 · The full record, with every note, is in the encrypted bundle.</p>
</body>
</html>
`;
}
