import { describe, expect, it } from "vitest";
import { FEEDBACK_ACTION, FEEDBACK_STEPS, feedbackGroups, feedbackStepOf, sentFeedbackLines, withSentFeedback } from "../../../src/app/counselor/model";
import { FEEDBACK_TEMPLATES, type CaseFeedback, type SentFeedback } from "../../../src/shared/feedback";

const template = (id: string) => {
  const t = FEEDBACK_TEMPLATES.find((x) => x.id === id)!;
  return { id: t.id, step: t.step, audience: t.audience, text: { ...t.text } };
};

const sent = (id: string, over: Partial<SentFeedback> = {}): SentFeedback => {
  const t = template(id);
  return { id: `f-${id}`, template: id, step: t.step, audience: t.audience, text: t.text, sentAt: "2026-03-02T01:05:00.000Z", sentBy: { id: "a1", name: "王老师" }, readAt: null, ...over };
};

describe("feedbackStepOf", () => {
  it.each(FEEDBACK_STEPS)("knows the step %s", (step) => {
    expect(feedbackStepOf(step)).toBe(step);
  });

  it("knows no other step", () => {
    expect(feedbackStepOf("checkin")).toBeNull();
    expect(feedbackStepOf("")).toBeNull();
  });

  it("lists every step a template follows", () => {
    expect(new Set(FEEDBACK_TEMPLATES.map((t) => t.step))).toEqual(new Set(FEEDBACK_STEPS));
  });
});

describe("feedbackGroups", () => {
  it("shows nothing before the interview", () => {
    expect(feedbackGroups({ available: [], sent: [] })).toEqual([]);
  });

  it("groups the messages by step in case order, the homeroom teacher's before the guardians'", () => {
    const feedback: CaseFeedback = {
      available: [template("referral-guardian"), template("interview-guardian"), template("referral-homeroom"), template("plan-homeroom")],
      sent: [sent("interview-homeroom")],
    };
    const groups = feedbackGroups(feedback);
    expect(groups.map((g) => [g.step, g.title, g.items.map((i) => i.template)])).toEqual([
      ["interview", "约谈后 · After the interview", ["interview-homeroom", "interview-guardian"]],
      ["plan", "制定方案后 · After the plan", ["plan-homeroom"]],
      ["referral", "转介后 · After the referral", ["referral-homeroom", "referral-guardian"]],
    ]);
  });

  it("marks what was sent, with when, by whom and whether it was read", () => {
    const [group] = feedbackGroups({ available: [template("interview-guardian")], sent: [sent("interview-homeroom", { readAt: "2026-03-02T02:00:00.000Z" })] });
    expect(group!.items).toEqual([
      { template: "interview-homeroom", audience: "homeroom", text: template("interview-homeroom").text, sent: { at: "2026-03-02T01:05:00.000Z", by: "王老师", readAt: "2026-03-02T02:00:00.000Z" } },
      { template: "interview-guardian", audience: "guardian", text: template("interview-guardian").text, sent: null },
    ]);
  });

  it("shows a template once, as sent, when a list read mid-send has it in both lists", () => {
    const groups = feedbackGroups({ available: [template("interview-homeroom")], sent: [sent("interview-homeroom")] });
    expect(groups).toHaveLength(1);
    expect(groups[0]!.items).toHaveLength(1);
    expect(groups[0]!.items[0]!.sent).not.toBeNull();
  });

  it("puts a sent message of an unknown step last, under 其他", () => {
    const odd = { ...sent("interview-homeroom"), id: "f-odd", template: "visit-homeroom", step: "visit" };
    const groups = feedbackGroups({ available: [template("close-homeroom")], sent: [odd] });
    expect(groups.map((g) => [g.step, g.title])).toEqual([
      ["close", "结案时 · On closing"],
      [null, "其他 · Other"],
    ]);
  });
});

describe("withSentFeedback", () => {
  it("moves the message the server sent from available to sent, without changing the input", () => {
    const before: CaseFeedback = { available: [template("interview-homeroom"), template("interview-guardian")], sent: [] };
    const after = withSentFeedback(before, sent("interview-homeroom"));
    expect(after.available.map((a) => a.id)).toEqual(["interview-guardian"]);
    expect(after.sent.map((s) => s.template)).toEqual(["interview-homeroom"]);
    expect(before.available).toHaveLength(2);
    expect(before.sent).toHaveLength(0);
  });

  it("keeps one entry per template when the same message comes back again", () => {
    const once = withSentFeedback({ available: [], sent: [] }, sent("plan-homeroom"));
    expect(withSentFeedback(once, sent("plan-homeroom", { id: "f-again" })).sent.map((s) => s.id)).toEqual(["f-again"]);
  });
});

describe("sentFeedbackLines", () => {
  it("says when and by whom a homeroom message went out, in China time, and that it is unread", () => {
    expect(sentFeedbackLines({ audience: "homeroom", sent: { at: "2026-03-02T01:05:00.000Z", by: "王老师", readAt: null } })).toEqual([
      "已发给班主任 · Sent to the homeroom teacher · 2026-03-02 09:05 · 王老师",
      "班主任尚未阅读 · Not read yet",
    ]);
  });

  it("says when the homeroom teacher read it", () => {
    expect(sentFeedbackLines({ audience: "homeroom", sent: { at: "2026-03-02T01:05:00.000Z", by: "王老师", readAt: "2026-03-02T16:30:00.000Z" } })[1]).toBe("班主任已阅读 · Read 2026-03-03 00:30");
  });

  it("records guardians told with no read state (the counselor told them)", () => {
    expect(sentFeedbackLines({ audience: "guardian", sent: { at: "2026-03-02T01:05:00.000Z", by: "王老师", readAt: null } })).toEqual(["已记录告知家长 · Recorded: guardians told · 2026-03-02 09:05 · 王老师"]);
  });

  it("has nothing to say about an unsent message", () => {
    expect(sentFeedbackLines({ audience: "homeroom", sent: null })).toEqual([]);
  });
});

describe("FEEDBACK_ACTION", () => {
  it("names the guardians' button as the issue asks, and offers no free text or score", () => {
    expect(FEEDBACK_ACTION.guardian.button).toBe("已告知家长 · Guardians told");
    for (const a of Object.values(FEEDBACK_ACTION)) expect(Object.values(a).join(" ")).not.toMatch(/分数|等级|score|tier/i);
  });
});
