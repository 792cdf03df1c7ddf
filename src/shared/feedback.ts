/**
 * Feedback (反馈) of a case step (issue 6): a short fixed message per step, to the student's homeroom
 * teacher (delivered in XinQing, among the teacher's notices) or, where the counselor decides, to the
 * guardians (told by the counselor in person, by phone or on paper, and recorded here as sent).
 *
 * The messages are XinQing's own wording for school practice, not clinical content: they say what the
 * school is doing and ask for support. None carries a score, a tier, a diagnosis or a note; the schema
 * has no place for one, and the counselor cannot edit them.
 */
import { z } from "zod";
import { Id } from "./api";

export const FeedbackAudience = z.enum(["homeroom", "guardian"]);
export type FeedbackAudience = z.infer<typeof FeedbackAudience>;

/** The case step a template follows. */
export type FeedbackStep = "interview" | "plan" | "referral" | "return" | "close";

export interface FeedbackTemplate {
  readonly id: string;
  readonly step: FeedbackStep;
  readonly audience: FeedbackAudience;
  readonly text: { readonly "zh-CN": string; readonly en: string };
}

export const FEEDBACK_TEMPLATES: readonly FeedbackTemplate[] = [
  {
    id: "interview-homeroom",
    step: "interview",
    audience: "homeroom",
    text: {
      "zh-CN": "心理老师已与该生面谈。请在日常中多给予关心，不在班级中公开谈论此事；如发现情绪或行为变化，请及时告知心理老师。",
      en: "The counselor has talked with this student. Please show everyday care, do not discuss it in class, and tell the counselor of any change in mood or behaviour.",
    },
  },
  {
    id: "interview-guardian",
    step: "interview",
    audience: "guardian",
    text: {
      "zh-CN": "您好！学校心理老师近日与您的孩子进行了一次谈话，希望与您沟通孩子近期的情况，请方便时联系学校心理辅导室。",
      en: "Hello! The school counselor recently talked with your child and would like to speak with you about how your child is doing; please contact the school's counseling room when convenient.",
    },
  },
  {
    id: "plan-homeroom",
    step: "plan",
    audience: "homeroom",
    text: {
      "zh-CN": "学校已为该生制定支持计划。请配合关注其在校情况，有变化及时告知心理老师。",
      en: "The school has made a support plan for this student. Please keep an eye on how they are doing at school and tell the counselor of any change.",
    },
  },
  {
    id: "referral-guardian",
    step: "referral",
    audience: "guardian",
    text: {
      "zh-CN": "您好！建议您尽快带孩子到专业医疗机构就诊，学校心理老师可以协助联系。就诊后请将情况告知心理老师，以便学校做好配合。",
      en: "Hello! We advise you to take your child to a medical specialist soon; the school counselor can help arrange it. Please let the counselor know afterwards so the school can support your child.",
    },
  },
  {
    id: "referral-homeroom",
    step: "referral",
    audience: "homeroom",
    text: {
      "zh-CN": "该生正在接受专业帮助。请给予理解与支持，如有请假请予以配合。",
      en: "This student is receiving professional help. Please be understanding and supportive, including with leave from school.",
    },
  },
  {
    id: "return-homeroom",
    step: "return",
    audience: "homeroom",
    text: {
      "zh-CN": "该生即将返校。请按复学计划给予关心与支持，营造接纳、友善的班级氛围，有情况及时告知心理老师。",
      en: "This student is returning to school. Please follow the return plan with care and support, keep the class welcoming, and tell the counselor of any concern.",
    },
  },
  {
    id: "return-guardian",
    step: "return",
    audience: "guardian",
    text: {
      "zh-CN": "欢迎孩子返校！学校已制定复学支持计划，心理老师会与您保持联系。",
      en: "Welcome back to school! The school has a return plan for your child, and the counselor will stay in touch with you.",
    },
  },
  {
    id: "close-homeroom",
    step: "close",
    audience: "homeroom",
    text: {
      "zh-CN": "对该生的跟进已告一段落。请继续日常关心，如发现异常请及时告知心理老师。",
      en: "The follow-up of this student has ended. Please keep up everyday care and tell the counselor of anything unusual.",
    },
  },
];

/** POST /api/cases/:id/feedback */
export const SendFeedbackBody = z.strictObject({ template: z.enum(FEEDBACK_TEMPLATES.map((t) => t.id) as [string, ...string[]]) });
export type SendFeedbackBody = z.infer<typeof SendFeedbackBody>;

export const SentFeedback = z.object({
  id: z.string(),
  template: z.string(),
  /** The case step the message follows. */
  step: z.string(),
  audience: FeedbackAudience,
  text: z.object({ "zh-CN": z.string(), en: z.string() }),
  sentAt: z.string(),
  sentBy: z.object({ id: z.string(), name: z.string() }),
  /** Homeroom feedback: when the teacher marked it read. */
  readAt: z.string().nullable(),
});
export type SentFeedback = z.infer<typeof SentFeedback>;

/** GET /api/cases/:id/feedback: the templates the case's steps allow now, and what was sent. */
export const CaseFeedback = z.object({
  available: z.array(z.object({ id: z.string(), step: z.string(), audience: FeedbackAudience, text: z.object({ "zh-CN": z.string(), en: z.string() }) })),
  sent: z.array(SentFeedback),
});
export type CaseFeedback = z.infer<typeof CaseFeedback>;

export const FeedbackParams = z.strictObject({ id: Id });
