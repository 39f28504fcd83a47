/**
 * Proactive negotiation (RFC 9110 §12.5): the quality a client gives a media type (Accept) or a
 * content coding (Accept-Encoding). Pure.
 */
import { trimOws } from "./header-fields.js";
import { splitList } from "./header-lookup.js";

/** Splits "type;q=0.5" into the lower-cased value and its weight (1 when absent or invalid). */
function member(item: string): { value: string; q: number } {
  const parts = item.split(";");
  const value = trimOws(parts[0] ?? "").toLowerCase();
  let q = 1;
  for (const p of parts.slice(1)) {
    const m = /^[ \t]*q[ \t]*=[ \t]*([01](?:\.\d{0,3})?)[ \t]*$/i.exec(p);
    if (m !== null) q = Math.min(1, Number(m[1]));
  }
  return { value, q };
}

/**
 * The weight of media type `type` ("text/html") under an Accept value: the most specific matching
 * range wins (type/subtype over type/* over *\/*, RFC 9110 §12.5.1). No Accept field means
 * everything is acceptable (1); a field that matches nothing gives 0.
 */
export function mediaTypeQuality(accept: string | undefined, type: string): number {
  if (accept === undefined) return 1;
  const [major] = type.split("/");
  let best = -1;
  let q = 0;
  for (const item of splitList(accept)) {
    const m = member(item);
    const specificity =
      m.value === type ? 3 : m.value === `${major}/*` ? 2 : m.value === "*/*" ? 1 : 0;
    if (specificity > best && specificity > 0) {
      best = specificity;
      q = m.q;
    }
  }
  return q;
}

/**
 * The weight of content coding `coding` ("br", "gzip") under an Accept-Encoding value: an explicit
 * entry, else "*", else 0 (RFC 9110 §12.5.3). "x-gzip" counts as gzip. No field at all: 0 for any
 * coding but identity, as a server cannot know the client decodes it.
 */
export function codingQuality(acceptEncoding: string | undefined, coding: string): number {
  if (acceptEncoding === undefined) return 0;
  let star = 0;
  for (const item of splitList(acceptEncoding)) {
    const m = member(item);
    const value = m.value === "x-gzip" ? "gzip" : m.value;
    if (value === coding) return m.q;
    if (value === "*") star = m.q;
  }
  return star;
}
