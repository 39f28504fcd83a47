/**
 * The one stderr line every CLI error is printed as (DESIGN §7). Messages can quote user or peer
 * text (a --header value, a stray argument), so control bytes are escaped to keep it one line.
 */
import { hexEscape } from "../util/format.js";

/**
 * `tcpkit: MESSAGE\n`, with CR, LF, TAB and every other C0 or C1 control in MESSAGE shown as an
 * escape (a peer's reason phrase is latin1 text: a byte 0x9B would reach the terminal as CSI).
 */
export function errorLine(message: string): string {
  return `tcpkit: ${escapeControls(message)}\n`;
}

/** `text` with CR, LF, TAB as \r \n \t and every other C0 or C1 control as \xNN. */
export function escapeControls(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => CONTROL_ESCAPES[c] ?? hexEscape(c));
}

/**
 * A system error as "SYSCALL CODE" (`write EPIPE`): the same words on every runtime, where
 * err.message differs (Node says "write EPIPE", Bun "EPIPE: broken pipe, write").
 */
export function systemErrorText(err: Error): string {
  const { code, syscall } = err as NodeJS.ErrnoException;
  if (code === undefined) return err.message;
  return syscall === undefined ? code : `${syscall} ${code}`;
}

const CONTROL_ESCAPES: Readonly<Record<string, string>> = { "\r": "\\r", "\n": "\\n", "\t": "\\t" };
