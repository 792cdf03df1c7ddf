/**
 * Roster import speed: the full reader (decode GB18030 + papaparse + validation) against papaparse alone
 * on the same file, measured in the same run. Target: the full reader keeps ≥ 25% of papaparse's throughput.
 *
 *   npx tsx bench/roster.ts [rows] [repetitions]
 */
import iconv from "iconv-lite";
import Papa from "papaparse";
import { parseRoster } from "../src/server/features/roster/parse";
import { seededRandom } from "../src/server/demo/answers";

const ROWS = Number(process.argv[2] ?? 100_000);
const REPS = Number(process.argv[3] ?? 7);
const TARGET = 0.25;

const random = seededRandom(20261123);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;

const SURNAMES = [..."王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余于杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤", "欧阳", "司马", "诸葛", "上官", "令狐"];
// Common given-name characters plus rare ones (堃 喆 犇 淼 彧 翀; 𠮷 𪚥 𬌗 𬘭 are GB18030 four-byte).
const GIVEN = [..."伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红玲芬燕彬鹏辉颖梓涵子轩浩宇欣怡一诺雨泽思彤佳琪俊熙若汐", ..."堃喆犇淼彧翀昇珺玥", "𠮷", "𪚥", "𬌗", "𬘭"];
const MINORITY = ["阿依古丽·买买提", "热依拉·艾尔肯", "迪丽热巴·迪力木拉提", "买买提·艾力", "古丽娜尔·吐尔逊", "扎西·多吉", "阿卜杜拉·艾山"];
const GRADES = ["一年级", "二年级", "三年级", "四年级", "五年级", "六年级", "初一", "初二", "初三", "高一", "高二", "高三", "7", "8", "9"];
const YES_NO = ["否", "否", "否", "否", "否", "否", "是", "", "N", "Y"];
const HEADER = ["学号", "姓名", "性别", "年级", "班级", "家庭经济困难", "学习困难", "思想行为成绩重大变化", "留守或单亲", "进城务工人员子女", "家庭重大变故", "残疾", "新生", "转学生", "监护人姓名", "监护人电话", "出生日期", "同意"];

function personName(): string {
  if (random() < 0.02) return pick(MINORITY);
  return pick(SURNAMES) + pick(GIVEN) + (random() < 0.7 ? pick(GIVEN) : "");
}

function generateRoster(rows: number): string {
  const lines = [HEADER.join(",")];
  for (let i = 0; i < rows; i++) {
    const grade = pick(GRADES);
    const cls = random() < 0.5 ? `${1 + Math.floor(random() * 20)}班` : `(${1 + Math.floor(random() * 20)})班`;
    const flags = Array.from({ length: 9 }, () => pick(YES_NO));
    const phone = random() < 0.8 ? `1${3 + Math.floor(random() * 7)}${String(Math.floor(random() * 1e9)).padStart(9, "0")}` : random() < 0.5 ? "010-62751234" : "";
    const y = 2006 + Math.floor(random() * 14);
    const m = 1 + Math.floor(random() * 12);
    const d = 1 + Math.floor(random() * 28);
    const birth = random() < 0.5 ? `${y}/${m}/${d}` : random() < 0.5 ? `${y}年${m}月${d}日` : `${y}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
    const guardian = random() < 0.05 ? `"${personName()}, 母亲"` : personName();
    lines.push([`2023${String(i).padStart(7, "0")}`, personName(), random() < 0.5 ? "男" : "女", grade, cls, ...flags, guardian, phone, birth, pick(["同意", "同意", "", "拒绝"])].join(","));
  }
  return lines.join("\r\n") + "\r\n";
}

function time(f: () => void): number {
  const start = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const text = generateRoster(ROWS);
const bytes = iconv.encode(text, "gb18030");
const decoded = iconv.decode(bytes, "gb18030");

// Sanity: the full reader accepts the file and returns every row.
const check = parseRoster(bytes);
if (!check.ok) throw new Error(`the generated roster was rejected: ${JSON.stringify(check.errors.slice(0, 3))}`);
if (check.encoding !== "gb18030" || check.rows.length !== ROWS) throw new Error(`unexpected result: ${check.encoding}, ${check.rows.length} rows`);

const papaMs: number[] = [];
const fullMs: number[] = [];
for (let r = 0; r < REPS; r++) {
  // Alternate the two so drift in machine speed hits both alike.
  papaMs.push(time(() => void Papa.parse<string[]>(decoded, { header: false, delimiter: "," }).data.length));
  fullMs.push(time(() => void parseRoster(bytes)));
}

const papaRate = ROWS / (median(papaMs) / 1000);
const fullRate = ROWS / (median(fullMs) / 1000);
const ratio = fullRate / papaRate;
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
console.log(`roster file: ${fmt(ROWS)} rows, ${fmt(bytes.length)} bytes GB18030, ${HEADER.length} columns; ${REPS} repetitions, median`);
console.log(`roster: papaparse alone ${median(papaMs).toFixed(0)} ms; parseRoster ${median(fullMs).toFixed(0)} ms (decode + parse + validate)`);
console.log(`roster: parseRoster ${fmt(fullRate)} rows/s; papaparse alone ${fmt(papaRate)} rows/s; ratio ${Math.round(ratio * 100)}% (target ≥ ${TARGET * 100}%) ${ratio >= TARGET ? "PASS" : "FAIL"}`);
