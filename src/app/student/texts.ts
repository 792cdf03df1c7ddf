/**
 * Every sentence the student page shows, in Simplified Chinese (default) and English. Plain words for
 * students from grade 4 up; nothing alarming; never a score, tier or band.
 */

export type Lang = "zh-CN" | "en";

export interface HelpResource {
  readonly name: string;
  readonly detail: string;
}

const zh = {
  appName: "心晴",
  langSwitch: "English",
  langSwitchLabel: "Switch to English",
  codeTitle: "心晴 · 心理健康小调查",
  codeLead: "请输入老师发给你的纸条上的访问码。",
  codeLabel: "访问码",
  codeHint: "大小写和空格都没关系。",
  codeSubmit: "下一步",
  codeChecking: "正在核对…",
  codeAbout: "这是一份关于你最近心情和生活的问卷，大约需要 10 到 15 分钟。",
  errors: {
    code_empty: "请先输入访问码。",
    code_invalid: "这个访问码不对。请对照纸条再输入一次，或请老师帮忙。",
    wave_closed: "这次问卷现在没有开放。请问问老师什么时候可以填写。",
    code_used: "这个访问码已经用过了，问卷已经提交。如果有疑问，请找老师。",
    locked: "输错的次数太多了，请等几分钟再试，或请老师帮忙。",
    network: "暂时连不上学校的服务器。请稍等片刻再试。",
    session: "为了保护你的隐私，这次登录已经结束。请重新输入访问码，你填过的答案都还在。",
    other: "出了点问题。请再试一次，或请老师帮忙。",
  },
  /** Around the school's name (shown as a bidi isolate between the two). */
  introTitle: { before: "欢迎，这里是", after: "的心理健康问卷" },
  introWhat: "这份问卷想了解你最近两周的心情、睡眠和生活。它不是考试，答案没有对错，也不会影响你的成绩。",
  introWho: "你的答案只有学校的心理老师能看到，班主任和同学都看不到。如果答案显示你可能需要帮助，心理老师会找你聊一聊。",
  introHow: "请按你真实的感受回答。每一页填完后答案会自动保存；如果中途换了电脑，用同一个访问码就能接着填。",
  introDecline: "你也可以选择不参加，这完全没有关系。",
  introStart: "开始填写",
  introContinue: "接着上次填写",
  introDeclineButton: "我不想参加",
  declineConfirm: "确定不参加吗？选择后这个访问码就不能再用了。",
  declineYes: "确定不参加",
  declineNo: "返回",
  declinedTitle: "好的，已经记下了",
  declinedText: "谢谢你告诉我们。如果以后想聊一聊，随时可以去找心理老师。",
  saving: "正在保存…",
  saved: "已自动保存",
  offline: "网络暂时断开了。别担心，你的答案都还在这台电脑上，连上网络后会自动保存，你可以继续填写。",
  saveFailed: "答案没能保存。请举手请老师帮忙，先不要关闭这个页面。",
  submitting: "正在提交…",
  submitOffline: "网络暂时断开了，连上后会自动提交，请不要关闭页面。",
  surveyHeading: "心理健康问卷",
  loading: "正在加载问卷…",
  loadFailed: "问卷没能加载。请刷新页面，或请老师帮忙。",
  doneTitle: "谢谢你认真完成问卷！",
  doneText: "你的答案已经安全提交。",
  doneCritical: "谢谢你愿意把这些告诉我们。学校的心理老师很快会来找你聊一聊，你不是一个人。",
  helpTitle: "需要帮助时，可以找这些地方",
  finish: "完成，离开",
  finishHint: "为了保护你的隐私，页面会在一会儿后自动回到开始页面。",
  idleNotice: "你已经有一段时间没有操作了，页面马上会回到开始页面。",
};

type Texts = typeof zh;

const en: Texts = {
  appName: "XinQing",
  langSwitch: "中文",
  langSwitchLabel: "切换到中文",
  codeTitle: "XinQing · Well-being survey",
  codeLead: "Please type the access code on the slip your teacher gave you.",
  codeLabel: "Access code",
  codeHint: "Capital letters and spaces do not matter.",
  codeSubmit: "Next",
  codeChecking: "Checking…",
  codeAbout: "This survey asks about your recent mood and daily life. It takes about 10 to 15 minutes.",
  errors: {
    code_empty: "Please type your access code first.",
    code_invalid: "This access code is not right. Please check the slip and try again, or ask your teacher.",
    wave_closed: "The survey is not open right now. Please ask your teacher when you can take it.",
    code_used: "This access code has already been used and the survey was submitted. Ask your teacher if you have questions.",
    locked: "Too many wrong tries. Please wait a few minutes, or ask your teacher for help.",
    network: "The school server cannot be reached right now. Please wait a moment and try again.",
    session: "To protect your privacy this sign-in has ended. Please type your access code again; your answers are kept.",
    other: "Something went wrong. Please try again, or ask your teacher for help.",
  },
  introTitle: { before: "Welcome to the well-being survey of ", after: "" },
  introWhat: "This survey asks how you have felt, slept and lived over the last two weeks. It is not a test: there are no right or wrong answers, and it does not affect your grades.",
  introWho: "Only the school counselor can see your answers; your homeroom teacher and classmates cannot. If your answers show you might need support, the counselor will have a chat with you.",
  introHow: "Please answer how you really feel. Your answers are saved after every page; if you change computers, type the same code to continue.",
  introDecline: "You may also choose not to take part. That is completely fine.",
  introStart: "Start",
  introContinue: "Continue where I stopped",
  introDeclineButton: "I do not want to take part",
  declineConfirm: "Are you sure you do not want to take part? This access code cannot be used again afterwards.",
  declineYes: "Yes, I do not take part",
  declineNo: "Go back",
  declinedTitle: "All right, this has been noted",
  declinedText: "Thank you for telling us. If you ever want to talk, you can visit the school counselor at any time.",
  saving: "Saving…",
  saved: "Saved automatically",
  offline: "The network is down for a moment. Don't worry: your answers are kept on this computer and will be saved as soon as the network is back. You can keep going.",
  saveFailed: "Your answers could not be saved. Please raise your hand and ask your teacher; do not close this page.",
  submitting: "Submitting…",
  submitOffline: "The network is down for a moment. Your answers will be submitted as soon as it is back; please keep this page open.",
  surveyHeading: "Well-being survey",
  loading: "Loading the survey…",
  loadFailed: "The survey could not be loaded. Please reload the page or ask your teacher.",
  doneTitle: "Thank you for completing the survey!",
  doneText: "Your answers have been submitted safely.",
  doneCritical: "Thank you for sharing this with us. The school counselor will come to talk with you soon. You are not alone.",
  helpTitle: "Where you can get help",
  finish: "Finish and leave",
  finishHint: "To protect your privacy, this page returns to the start screen shortly.",
  idleNotice: "You have been inactive for a while; the page will return to the start screen.",
};

export const texts: Readonly<Record<Lang, Texts>> = { "zh-CN": zh, en };

export type StudentErrorCode = keyof Texts["errors"];

/** A help line as the server sends it (GET /api/student/survey, from the `help.hotlines` setting). */
export interface HotlineSetting {
  readonly id: string;
  readonly number: string | null;
  readonly label: { readonly "zh-CN": string; readonly en: string };
}

const COUNSELING_ROOM: Readonly<Record<Lang, HelpResource>> = {
  "zh-CN": { name: "学校心理辅导室", detail: "课间或放学后都可以去，也可以请班主任帮你预约心理老师。" },
  en: { name: "School counseling room", detail: "Drop in during breaks or after school, or ask your homeroom teacher to book the counselor for you." },
};

/** What the page says for a configured hotline, and for one whose number the district has not filled in yet. */
const HOTLINE_DETAIL: Readonly<Record<Lang, { call: (n: string) => string; unknown: string }>> = {
  "zh-CN": { call: (n) => `拨打 ${n}，有专业的老师倾听和帮助你。`, unknown: "号码贴在心理辅导室门口，也可以问任何一位老师。" },
  en: { call: (n) => `Call ${n} to talk with a trained counselor.`, unknown: "The number is posted at the counseling room door; any teacher can also give it to you." },
};

/**
 * Used only when the server sent no hotline (the setting is missing or malformed): the national 12355 youth
 * service hotline (共青团12355青少年服务台, named in issue 5) and the district's line without a number, which
 * the page never makes up.
 */
const FALLBACK_HOTLINES: readonly HotlineSetting[] = [
  { id: "youth-12355", number: "12355", label: { "zh-CN": "12355 青少年服务台", en: "12355 youth service hotline" } },
  { id: "district", number: null, label: { "zh-CN": "区心理援助热线", en: "District support hotline" } },
];

/**
 * The help resources of the end pages: the school counseling room, then the hotlines configured on the server
 * in their order (a hotline with no number yet says where to find it). Pure.
 */
export function helpResources(lang: Lang, hotlines: readonly HotlineSetting[]): HelpResource[] {
  const detail = HOTLINE_DETAIL[lang];
  const lines = hotlines.length > 0 ? hotlines : FALLBACK_HOTLINES;
  return [COUNSELING_ROOM[lang], ...lines.map((h) => ({ name: h.label[lang], detail: h.number === null ? detail.unknown : detail.call(h.number) }))];
}
