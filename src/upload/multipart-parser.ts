/**
 * A streaming multipart/form-data parser (RFC 7578 on RFC 2046 §5.1.1): bytes in, events out,
 * memory bounded by the largest chunk it is given plus one delimiter. Pure: no streams, no fs.
 *
 * Each call to write() returns the events its bytes complete: a part's head (its fields), its
 * data (subarrays of a buffer the parser never reuses, so they may be written later), its end,
 * and the closing delimiter. The data of a part is every byte up to the next CRLF "--" boundary;
 * up to a delimiter's length of it is held back until the parser can tell it is not one.
 */
import { TcpkitError } from "../util/tcpkit-error.js";

/** One part's header fields: lower-cased names to values. */
export type PartFields = ReadonlyMap<string, string>;

export type MultipartEvent =
  | { readonly kind: "part"; readonly fields: PartFields }
  | { readonly kind: "data"; readonly bytes: Buffer }
  | { readonly kind: "part-end" }
  | { readonly kind: "done" };

/** A part's header block may hold at most this many bytes (a browser's is ~150). */
export const MAX_PART_HEAD_BYTES = 16 * 1024;

type State = "preamble" | "after-boundary" | "head" | "body" | "epilogue";

export class MultipartParser {
  /** CRLF "--" boundary: what ends a part's data (RFC 2046 §5.1.1 "delimiter"). */
  readonly #delimiter: Buffer;
  #state: State = "preamble";
  /** Bytes kept from earlier writes: a possible delimiter start, or a part head being read. */
  #held: Buffer;
  #parts = 0;
  readonly #maxParts: number;

  constructor(boundary: string, maxParts = 1000) {
    this.#delimiter = Buffer.from(`\r\n--${boundary}`, "latin1");
    // The first boundary need not follow a CRLF: pretend one came before the body.
    this.#held = Buffer.from("\r\n", "latin1");
    this.#maxParts = maxParts;
  }

  /** The events the bytes of `chunk` complete. Throws ERR_HTTP_PROTOCOL on malformed input. */
  write(chunk: Buffer): MultipartEvent[] {
    const events: MultipartEvent[] = [];
    let buf = this.#held.length === 0 ? chunk : Buffer.concat([this.#held, chunk]);
    this.#held = EMPTY;
    for (;;) {
      const rest = this.#step(buf, events);
      if (rest === undefined) return events;
      buf = rest;
    }
  }

  /** The body ended: throws unless the closing delimiter was seen. */
  end(): void {
    if (this.#state !== "epilogue") throw malformed("the body ended before its last boundary");
  }

  /** Consumes what it can of `buf`; returns the unconsumed rest, or undefined to wait for more. */
  #step(buf: Buffer, events: MultipartEvent[]): Buffer | undefined {
    switch (this.#state) {
      case "preamble":
      case "body": {
        const at = buf.indexOf(this.#delimiter);
        if (at === -1) {
          // Keep what might be the start of a delimiter split across writes.
          const keep = Math.min(buf.length, this.#delimiter.length - 1);
          const data = buf.subarray(0, buf.length - keep);
          if (this.#state === "body" && data.length > 0) events.push({ kind: "data", bytes: data });
          this.#held = Buffer.from(buf.subarray(buf.length - keep));
          return undefined;
        }
        if (this.#state === "body") {
          if (at > 0) events.push({ kind: "data", bytes: buf.subarray(0, at) });
          events.push({ kind: "part-end" });
        }
        this.#state = "after-boundary";
        return buf.subarray(at + this.#delimiter.length);
      }
      case "after-boundary": {
        // "--" closes; else optional linear white space, then CRLF (RFC 2046 transport-padding).
        if (buf.length < 2) return this.#wait(buf);
        if (buf[0] === 0x2d && buf[1] === 0x2d) {
          this.#state = "epilogue";
          events.push({ kind: "done" });
          return undefined;
        }
        let i = 0;
        while (i < buf.length && (buf[i] === 0x20 || buf[i] === 0x09)) i++;
        if (i > 64) throw malformed("padding after a boundary");
        if (buf.length < i + 2) return this.#wait(buf);
        if (buf[i] !== 0x0d || buf[i + 1] !== 0x0a) throw malformed("no CRLF after a boundary");
        if (++this.#parts > this.#maxParts) throw malformed(`more than ${this.#maxParts} parts`);
        this.#state = "head";
        return buf.subarray(i + 2);
      }
      case "head": {
        // An empty head (no fields) is a bare CRLF; else the fields end with CRLF CRLF.
        const end = buf[0] === 0x0d && buf[1] === 0x0a ? -2 : buf.indexOf(HEAD_END);
        if (end === -1) {
          if (buf.length > MAX_PART_HEAD_BYTES) throw malformed("a part head is too long");
          return this.#wait(buf);
        }
        if (end > MAX_PART_HEAD_BYTES) throw malformed("a part head is too long");
        const fields = end === -2 ? new Map<string, string>() : parseFields(buf.subarray(0, end));
        events.push({ kind: "part", fields });
        this.#state = "body";
        return buf.subarray(end === -2 ? 2 : end + 4);
      }
      case "epilogue":
        return undefined; // ignored (RFC 2046 §5.1.1)
    }
  }

  #wait(buf: Buffer): undefined {
    this.#held = Buffer.from(buf);
    return undefined;
  }
}

const EMPTY = Buffer.alloc(0);
const HEAD_END = Buffer.from("\r\n\r\n", "latin1");

function malformed(why: string): TcpkitError {
  return new TcpkitError("ERR_HTTP_PROTOCOL", `malformed multipart body: ${why}`);
}

/** "Name: value" lines (RFC 7578 §4.8: Content-Disposition, Content-Type); UTF-8 values. */
function parseFields(block: Buffer): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of block.toString("utf8").split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) throw malformed("a part header line without a name");
    fields.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return fields;
}

/** The boundary parameter of a multipart/form-data Content-Type, or undefined. */
export function formDataBoundary(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const [type, ...params] = contentType.split(";");
  if (type?.trim().toLowerCase() !== "multipart/form-data") return undefined;
  for (const p of params) {
    const eq = p.indexOf("=");
    if (eq === -1 || p.slice(0, eq).trim().toLowerCase() !== "boundary") continue;
    let value = p.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) {
      value = value.slice(1, -1);
    }
    // RFC 2046 §5.1.1: 1 to 70 characters, not ending in a space.
    return /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/.test(value)
      ? value
      : undefined;
  }
  return undefined;
}

/**
 * The name and filename of a part's Content-Disposition (RFC 7578 §4.2), as browsers send them:
 * quoted strings without backslash escapes (the HTML standard escapes `"`, CR and LF as %22,
 * %0D, %0A instead), so a backslash stays a backslash and the name is refused later.
 */
export function partDisposition(
  fields: PartFields,
): { readonly name: string; readonly filename: string | undefined } | undefined {
  const value = fields.get("content-disposition");
  if (value === undefined) return undefined;
  const semi = value.indexOf(";");
  const type = (semi === -1 ? value : value.slice(0, semi)).trim().toLowerCase();
  if (type !== "form-data") return undefined;
  const params = new Map<string, string>();
  const re = /;\s*([A-Za-z0-9_*-]+)\s*=\s*(?:"([^"]*)"|([^;\s]*))/gy;
  re.lastIndex = semi === -1 ? value.length : semi;
  let m: RegExpExecArray | null;
  while ((m = re.exec(value)) !== null) {
    params.set((m[1] as string).toLowerCase(), m[2] ?? m[3] ?? "");
  }
  const name = params.get("name");
  if (name === undefined) return undefined;
  return { name, filename: params.get("filename") };
}
