/** Every probe, in report order (the lint last: it reads what the others saw). */
import type { Probe } from "../probe.js";
import { chunkedProbes } from "./chunked.js";
import { conditionalProbes } from "./conditional.js";
import { desyncProbes } from "./desync.js";
import { fieldProbes } from "./fields.js";
import { framingProbes } from "./framing.js";
import { lintProbes } from "./lint.js";
import { rangeProbes } from "./ranges.js";
import { requestLineProbes } from "./request-line.js";
import { semanticsProbes } from "./semantics.js";
import { slowProbes } from "./slow.js";

export const ALL_PROBES: readonly Probe[] = [
  ...requestLineProbes,
  ...fieldProbes,
  ...framingProbes,
  ...chunkedProbes,
  ...desyncProbes,
  ...semanticsProbes,
  ...conditionalProbes,
  ...rangeProbes,
  ...slowProbes,
  ...lintProbes,
];
