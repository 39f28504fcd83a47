/**
 * What `tcpkit echo-server` reports on stderr: the totals (every --stats-interval, on SIGUSR1
 * with the busiest open clients, and on stop), as text or, with --json, one JSON object a line.
 */
import type { EchoServer, EchoServerStats } from "../echo/echo-server.js";
import { formatHostPort } from "../net/address.js";
import type { EchoClientSnapshot } from "../echo/client-stats.js";

/** Open clients listed by a SIGUSR1 report. */
export const TOP_CLIENTS = 10;

type ReportKind = "interval" | "signal" | "stopped";

/** One report: a totals line, and for SIGUSR1 the busiest open clients. */
export function formatServerReport(
  kind: ReportKind,
  s: EchoServerStats,
  udp: boolean,
  top: readonly EchoClientSnapshot[] | undefined,
  json: boolean,
): string {
  if (json) {
    const clients = top?.map((c) => ({ ...c, durationMs: Math.round(c.durationMs) }));
    return `${JSON.stringify({ type: kind, ...s, ...(clients === undefined ? {} : { topClients: clients }) })}\n`;
  }
  const head = kind === "stopped" ? "stopped" : `${s.connectionsOpen} open`;
  let text =
    `tcpkit echo-server: ${head}; ${s.connectionsAccepted} connections served,` +
    ` ${s.connectionsRefused} refused over --max-connections,` +
    (s.connectionsRefusedPerIp > 0
      ? ` ${s.connectionsRefusedPerIp} refused over --max-connections-per-ip,`
      : "") +
    ` ${s.connectionsTimedOut} closed idle;` +
    ` ${s.bytesReceived} bytes received, ${s.bytesSent} bytes echoed\n`;
  if (udp) {
    text +=
      `tcpkit echo-server: udp: ${s.udpDatagramsEchoed} datagrams echoed (${s.udpBytesEchoed} bytes),` +
      ` ${s.udpDatagramsRefused} refused by the reflection guard,` +
      ` ${s.udpDatagramsLooped} dropped as echoes of its own echo\n`;
  }
  if (top !== undefined) {
    text += `tcpkit echo-server: top ${top.length} open clients by bytes:\n`;
    for (const c of top) {
      text +=
        `  ${formatHostPort(c.remoteAddress, c.remotePort)}: ${c.bytesReceived} bytes received,` +
        ` ${c.bytesSent} sent, ${(c.durationMs / 1000).toFixed(1)} s\n`;
    }
  }
  return text;
}

/**
 * Starts the live reports: totals every `intervalMs` (if set) and on SIGUSR1 (with the top
 * clients). Returns a function that stops them.
 */
export function startServerReports(
  server: EchoServer,
  options: { udp: boolean; json: boolean; intervalMs: number | undefined },
): () => void {
  const write = (kind: ReportKind): void => {
    const top = kind === "signal" ? server.topClients(TOP_CLIENTS) : undefined;
    process.stderr.write(formatServerReport(kind, server.stats(), options.udp, top, options.json));
  };
  const onSignal = (): void => write("signal");
  process.on("SIGUSR1", onSignal);
  const timer =
    options.intervalMs === undefined
      ? undefined
      : setInterval(() => write("interval"), options.intervalMs);
  return () => {
    process.off("SIGUSR1", onSignal);
    if (timer !== undefined) clearInterval(timer);
  };
}
