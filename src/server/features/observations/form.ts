/**
 * An instrument as the form an observer fills: what to ask and what may be answered, from the instrument
 * data (instruments/), so the SPA never bundles the instruments or zod. Everything about scoring (scored,
 * reverse keys, subscales, bands, concern flags, missing-data rules) stays on the server: a teacher or a
 * peer monitor is never shown how a form is scored.
 */
import type { Instrument, Item } from "../../../../instruments/schema";
import type { ObservationInstrument, ObserveForm, ObserveItem } from "../../../shared/observations";

function itemView(inst: Instrument, item: Item): ObserveItem {
  const critical = new Set<string | number>(item.critical?.anyOf ?? []);
  const choices = item.type === "single" || item.type === "multi" ? (item.options ?? inst.options ?? []) : [];
  return {
    id: item.id,
    type: item.type,
    text: { ...item.text },
    options: choices.map((o) => ({ value: o.value, label: { ...o.label }, critical: critical.has(o.value) })),
    optional: item.optional,
    critical: critical.size > 0,
    ...(item.min !== undefined && { min: item.min }),
    ...(item.max !== undefined && { max: item.max }),
    ...(item.note && { note: { ...item.note } }),
  };
}

/** The form of an observation instrument, as plain data without any scoring information. */
export function formView(inst: Instrument & { id: ObservationInstrument }): ObserveForm {
  return {
    id: inst.id,
    version: inst.version,
    title: { ...inst.title },
    instructions: inst.instructions ? { ...inst.instructions } : null,
    attribution: inst.licence.attribution ?? null,
    items: inst.items.map((item) => itemView(inst, item)),
  };
}
