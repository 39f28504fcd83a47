/**
 * Writing the Prometheus text exposition format (version 0.0.4): `# HELP` and `# TYPE` lines,
 * then samples `name{label="value"} number`. Label values are escaped as the format says
 * (backslash, double quote, line feed); numbers use Go's spellings for the special values.
 * Pure; the metrics module decides what to write.
 */

/** The Content-Type of the text format. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** A metric family's header: HELP (escaped: backslash and line feed) and TYPE. */
export function familyHeader(
  name: string,
  type: "counter" | "gauge" | "histogram",
  help: string,
): string {
  const text = help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
  return `# HELP ${name} ${text}\n# TYPE ${name} ${type}\n`;
}

/** One sample line; `labels` in order, values escaped. */
export function sample(
  name: string,
  value: number,
  labels: readonly (readonly [string, string])[] = [],
): string {
  const set =
    labels.length === 0
      ? ""
      : `{${labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",")}}`;
  return `${name}${set} ${formatValue(value)}\n`;
}

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** A sample value: +Inf, -Inf, NaN as the format spells them; otherwise JavaScript's shortest form. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}
