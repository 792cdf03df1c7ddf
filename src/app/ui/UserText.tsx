/**
 * A piece of typed text (a name, a label, a note) among the app's words, as its own bidi isolate: a `<bdi>`,
 * whose direction comes from the text's own first strong character, so that no bidi control in it can
 * reorder the words around it (issue 8; ui/bidi.ts says why and what is confined).
 */
import { confineBidi } from "./bidi";

export function UserText({ text }: { text: string }) {
  return <bdi>{confineBidi(text)}</bdi>;
}
