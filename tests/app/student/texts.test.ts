import { describe, expect, it } from "vitest";
import { helpResources, texts, type HotlineSetting } from "../../../src/app/student/texts";

const youth: HotlineSetting = { id: "youth-12355", number: "12355", label: { "zh-CN": "12355 青少年服务台", en: "12355 youth hotline" } };
const district: HotlineSetting = { id: "district", number: null, label: { "zh-CN": "本区心理援助热线", en: "District mental-health hotline" } };

describe("helpResources (the end page's help list)", () => {
  it("lists the counseling room first, then the server's hotlines in their order", () => {
    expect(helpResources("zh-CN", [youth, district]).map((r) => r.name)).toEqual(["学校心理辅导室", "12355 青少年服务台", "本区心理援助热线"]);
    expect(helpResources("en", [youth, district]).map((r) => r.name)).toEqual(["School counseling room", "12355 youth hotline", "District mental-health hotline"]);
  });

  it("shows a configured number, and for a hotline without one says where to find it instead of making one up", () => {
    const [, withNumber, withoutNumber] = helpResources("zh-CN", [{ ...youth }, district]);
    expect(withNumber!.detail).toContain("12355");
    expect(withoutNumber!.detail).toBe("号码贴在心理辅导室门口，也可以问任何一位老师。");
    expect(withoutNumber!.detail).not.toMatch(/[0-9]/);
  });

  it("falls back to the national 12355 line and a numberless district line when the server sends no hotline", () => {
    const list = helpResources("zh-CN", []);
    expect(list.map((r) => r.detail.match(/[0-9-]{5,}/)?.[0] ?? null)).toEqual([null, "12355", null]);
  });

  it("keeps an administrator's text as text (React escapes it)", () => {
    const [, line] = helpResources("en", [{ id: "x", number: "<b>1</b>", label: { "zh-CN": "x", en: "<script>" } }]);
    expect(line).toEqual({ name: "<script>", detail: "Call <b>1</b> to talk with a trained counselor." });
  });

  it("has every sentence in both languages", () => {
    expect(Object.keys(texts.en).sort()).toEqual(Object.keys(texts["zh-CN"]).sort());
  });
});
