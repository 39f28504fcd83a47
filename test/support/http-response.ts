/**
 * Reading HTTP/1.x responses out of raw received bytes, for black-box tests: status, fields,
 * and a body framed by Content-Length, chunked coding, or the connection's close; HEAD, 1xx,
 * 204 and 304 have none. Strict: anything malformed throws, so a test sees it.
 */

export interface HttpResponse {
  readonly version: string;
  readonly status: number;
  readonly reason: string;
  /** Field lines as sent, in order: [name, value]. */
  readonly fieldLines: readonly (readonly [string, string])[];
  /** The decoded body. */
  readonly body: Buffer;
  /** The head exactly as received, CRLFs included. */
  readonly headText: string;
  /** Every byte of this response. */
  readonly raw: Buffer;
  /** The value of a field (case-insensitive), joined with ", " when repeated. */
  header(name: string): string | undefined;
}

/**
 * Parses one response from `data` at `offset` for a request with `method`. Returns undefined
 * when more bytes are needed; `closed` says the connection has ended (so a close-delimited
 * body is complete).
 */
export function parseResponse(
  data: Buffer,
  offset: number,
  method: string,
  closed: boolean,
): { response: HttpResponse; next: number } | undefined {
  const headEnd = data.indexOf("\r\n\r\n", offset, "latin1");
  if (headEnd === -1) {
    if (closed && data.length > offset) {
      throw new Error(
        `truncated response head: ${JSON.stringify(data.subarray(offset).toString("latin1"))}`,
      );
    }
    return undefined;
  }
  const headText = data.toString("latin1", offset, headEnd + 4);
  const lines = headText.slice(0, -4).split("\r\n");
  const m = /^(HTTP\/\d\.\d) (\d{3}) ?(.*)$/.exec(lines[0] ?? "");
  if (m === null) throw new Error(`bad status line: ${JSON.stringify(lines[0])}`);
  const fieldLines: [string, string][] = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) throw new Error(`bad field line: ${JSON.stringify(line)}`);
    fieldLines.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
  }
  const header = (name: string): string | undefined => {
    const values = fieldLines
      .filter(([n]) => n.toLowerCase() === name.toLowerCase())
      .map(([, v]) => v);
    return values.length === 0 ? undefined : values.join(", ");
  };
  const status = Number(m[2]);
  const bodyStart = headEnd + 4;
  let body: Buffer;
  let next: number;
  const te = header("transfer-encoding");
  const cl = header("content-length");
  if (method === "HEAD" || (status >= 100 && status < 200) || status === 204 || status === 304) {
    body = Buffer.alloc(0);
    next = bodyStart;
  } else if (te !== undefined) {
    if (te.toLowerCase() !== "chunked") throw new Error(`unexpected Transfer-Encoding ${te}`);
    const parts: Buffer[] = [];
    let i = bodyStart;
    for (;;) {
      const lineEnd = data.indexOf("\r\n", i, "latin1");
      if (lineEnd === -1) return closedOrWait(closed, "chunk size");
      const size = parseInt(data.toString("latin1", i, lineEnd).split(";")[0] ?? "", 16);
      if (Number.isNaN(size)) throw new Error("bad chunk size");
      i = lineEnd + 2;
      if (size === 0) {
        const end = data.indexOf("\r\n\r\n", i - 2, "latin1");
        if (end === -1) return closedOrWait(closed, "chunked trailer");
        next = end + 4;
        break;
      }
      if (data.length < i + size + 2) return closedOrWait(closed, "chunk data");
      parts.push(data.subarray(i, i + size));
      i += size + 2;
    }
    body = Buffer.concat(parts);
  } else if (cl !== undefined) {
    const n = Number(cl);
    if (data.length < bodyStart + n) return closedOrWait(closed, "Content-Length body");
    body = data.subarray(bodyStart, bodyStart + n);
    next = bodyStart + n;
  } else {
    if (!closed) return undefined;
    body = data.subarray(bodyStart);
    next = data.length;
  }
  return {
    response: {
      version: m[1] as string,
      status,
      reason: m[3] as string,
      fieldLines,
      body,
      headText,
      raw: data.subarray(offset, next),
      header,
    },
    next,
  };
}

function closedOrWait(closed: boolean, what: string): undefined {
  if (closed) throw new Error(`connection closed inside the ${what}`);
  return undefined;
}

/** The method of a raw request ("GET" from "GET / HTTP/1.1..."), after leading CRLFs. */
export function requestMethod(request: string | Buffer): string {
  const text = typeof request === "string" ? request : request.toString("latin1", 0, 64);
  return /^(?:\r\n)*([^ \r\n]*)/.exec(text)?.[1] ?? "";
}
