/**
 * What `tcpkit serve --metrics` counts, fed by the server's onExchange records: requests by
 * method and status class, request and response bytes, a request-duration histogram, responses
 * cut short, uploads, handler errors; connections come from the server itself. Recording is a
 * few array increments per request (no label strings built, no Map lookups), so the keep-alive
 * benchmark does not feel it; the text is built only when scraped.
 */
import { familyHeader, sample } from "./prometheus-text.js";
import type { ExchangeRecord } from "../http/server/exchange-record.js";

/** Methods counted by name; anything else (and an unparsable request) is "other". */
const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"] as const;
const OTHER = METHODS.length - 1;
const CLASSES = ["1xx", "2xx", "3xx", "4xx", "5xx"] as const;
/** Seconds; Prometheus' client defaults, with finer steps at the fast end static files live in. */
const BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;
const UPLOAD_METHODS = new Set(["PUT", "POST", "PATCH"]);

/** Gauges read from the server at scrape time. */
export interface ServerGauges {
  connectionsOpen(): number;
  connectionsAccepted(): number;
}

/** Counters for one server process (see the file comment). */
export class ServerMetrics {
  private readonly requests = new Float64Array(METHODS.length * CLASSES.length);
  private readonly buckets = new Float64Array(BUCKETS.length);
  private durationSum = 0;
  private durationCount = 0;
  private bytesReceived = 0;
  private bytesSent = 0;
  private incomplete = 0;
  private uploads = 0;
  private uploadBytes = 0;
  private handlerErrors = 0;
  private gauges: ServerGauges | undefined;

  /**
   * `labels` go on every sample: serve --workers gives each process's counts a `worker` label,
   * as scrapes of one address reach the processes in turn. Without it their counts would
   * alternate in one series, which Prometheus reads as a counter reset at every scrape.
   */
  constructor(private readonly labels: readonly (readonly [string, string])[] = []) {}

  /** Records one exchange: pass as (or call from) the server's onExchange. */
  readonly record = (r: ExchangeRecord): void => {
    const m = methodIndex(r.method);
    const c = Math.min(4, Math.max(0, Math.floor(r.status / 100) - 1));
    this.requests[m * CLASSES.length + c]! += 1;
    this.bytesReceived += r.bytesReceived;
    this.bytesSent += r.bytesSent;
    if (!r.complete) this.incomplete++;
    const seconds = r.durationMs / 1000;
    this.durationSum += seconds;
    this.durationCount++;
    // Buckets are stored non-cumulative and summed at scrape time: one increment here.
    let b = 0;
    while (b < BUCKETS.length && seconds > BUCKETS[b]!) b++;
    if (b < BUCKETS.length) this.buckets[b]! += 1;
    if (r.method !== undefined && UPLOAD_METHODS.has(r.method) && c === 1) {
      this.uploads++;
      this.uploadBytes += r.bytesReceived;
    }
  };

  /** Counts a handler that threw (the client got a 500). */
  handlerError(): void {
    this.handlerErrors++;
  }

  /** Where the connection gauges come from (the server, once created). */
  useGauges(gauges: ServerGauges): void {
    this.gauges = gauges;
  }

  /** The exposition text. */
  render(): string {
    let out = familyHeader(
      "tcpkit_http_requests_total",
      "counter",
      "Requests answered, by method and status class.",
    );
    for (let m = 0; m < METHODS.length; m++) {
      for (let c = 0; c < CLASSES.length; c++) {
        const n = this.requests[m * CLASSES.length + c]!;
        if (n > 0)
          out += this.sample("tcpkit_http_requests_total", n, [
            ["method", METHODS[m]!],
            ["code", CLASSES[c]!],
          ]);
      }
    }
    const counter = (name: string, help: string, value: number): string =>
      familyHeader(name, "counter", help) + this.sample(name, value);
    out += counter(
      "tcpkit_http_received_bytes_total",
      "Request bytes read: heads and bodies as on the wire.",
      this.bytesReceived,
    );
    out += counter(
      "tcpkit_http_sent_bytes_total",
      "Response bytes handed to the OS: heads, bodies, framing.",
      this.bytesSent,
    );
    out += counter(
      "tcpkit_http_responses_incomplete_total",
      "Responses cut short or never begun (client gone, send timeout).",
      this.incomplete,
    );
    out += counter(
      "tcpkit_http_handler_errors_total",
      "Handlers that threw; each client got a 500.",
      this.handlerErrors,
    );
    out += counter(
      "tcpkit_http_uploads_total",
      "PUT, POST and PATCH requests answered 2xx.",
      this.uploads,
    );
    out += counter(
      "tcpkit_http_upload_bytes_total",
      "Request bytes of those uploads.",
      this.uploadBytes,
    );
    out += familyHeader(
      "tcpkit_http_request_duration_seconds",
      "histogram",
      "From a complete request head to the response handed to the OS.",
    );
    let cumulative = 0;
    for (let b = 0; b < BUCKETS.length; b++) {
      cumulative += this.buckets[b]!;
      out += this.sample("tcpkit_http_request_duration_seconds_bucket", cumulative, [
        ["le", String(BUCKETS[b])],
      ]);
    }
    out += this.sample("tcpkit_http_request_duration_seconds_bucket", this.durationCount, [
      ["le", "+Inf"],
    ]);
    out += this.sample("tcpkit_http_request_duration_seconds_sum", this.durationSum);
    out += this.sample("tcpkit_http_request_duration_seconds_count", this.durationCount);
    if (this.gauges !== undefined) {
      out += familyHeader("tcpkit_http_connections_open", "gauge", "Connections open now.");
      out += this.sample("tcpkit_http_connections_open", this.gauges.connectionsOpen());
      out += counter(
        "tcpkit_http_connections_total",
        "Connections accepted.",
        this.gauges.connectionsAccepted(),
      );
    }
    return out;
  }

  /** One sample line, this process's labels first. */
  private sample(name: string, value: number, labels: readonly (readonly [string, string])[] = []) {
    return sample(name, value, [...this.labels, ...labels]);
  }
}

function methodIndex(method: string | undefined): number {
  switch (method) {
    case "GET":
      return 0;
    case "HEAD":
      return 1;
    case "POST":
      return 2;
    case "PUT":
      return 3;
    case "PATCH":
      return 4;
    case "DELETE":
      return 5;
    case "OPTIONS":
      return 6;
    default:
      return OTHER;
  }
}
