/**
 * The problem details (RFC 9457, application/problem+json) of the resumable-upload draft's error
 * cases (draft-ietf-httpbis-resumable-upload-15 §7, Problem Types): a short JSON body naming the
 * registered problem type, so a client can tell a wrong offset or length from any other 409/400.
 */
import type { ResponsePlan } from "../http/types.js";

const TYPE_BASE = "https://iana.org/assignments/http-problem-types#";

/** The draft's problem types, with the titles its IANA section registers. */
const TITLES = {
  "mismatching-upload-offset": "Mismatching Upload Offset",
  "completed-upload": "Upload Is Completed",
  "inconsistent-upload-length": "Inconsistent Upload Length Values",
} as const;

export type UploadProblem = keyof typeof TITLES;

/**
 * A refusal with a problem+json body: `members` are the type's extension members (such as
 * expected-offset), `headers` extra header lines. The connection closes, as for every refusal
 * before a body is read.
 */
export function problemPlan(
  status: number,
  type: UploadProblem,
  headers = "",
  members: Readonly<Record<string, number>> = {},
): ResponsePlan {
  const body = JSON.stringify({ type: TYPE_BASE + type, title: TITLES[type], ...members }) + "\n";
  return {
    status,
    headers: `Content-Type: application/problem+json\r\n${headers}`,
    body: { kind: "bytes", bytes: Buffer.from(body) },
    close: true,
  };
}
