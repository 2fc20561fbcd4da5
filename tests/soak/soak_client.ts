// deno-lint-ignore-file no-console
/**
 * The load of the soak run, in a process of its own: `--concurrency`
 * callers each post NDJSON requests of 100 events to `--url` until
 * `--seconds` have passed, then it prints one JSON line: requests by status,
 * latencies, and which requests were acknowledged with 202. With
 * `--rate=EVENTS_PER_SECOND` the load is offered at that pace instead (request
 * `r` is due `r * 100 / rate` seconds after the start, whatever the answers
 * take), with at most `--concurrency` requests open.
 *
 * Event `k` of request `r` has id `${prefix}${r * 100 + k}.n`, so the server
 * side can check delivery by index.
 *
 * Usage: deno run --allow-net=127.0.0.1 tests/soak/soak_client.ts
 *   --url=http://127.0.0.1:PORT --token=T --seconds=60 --concurrency=8
 *   --prefix=soak-1- --max-events=1000000 [--rate=12000]
 *
 * @module
 */

/** What the client prints at the end, as one JSON line. */
export interface SoakClientReport {
  /** Requests sent. */
  requests: number;
  /** Requests by answer: an HTTP status, or "network" for no answer. */
  statuses: Record<string, number>;
  /** Request numbers answered 202 with all 100 ids. */
  acknowledged: number[];
  /** Latency percentiles over every request, in ms. */
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  /** Wall time of the load, in ms. */
  elapsedMs: number;
  /** With `--rate`: requests sent more than 100 ms after they were due. */
  late?: number;
}

const EVENTS_PER_REQUEST = 100;

function option(name: string, fallback?: string): string {
  const prefix = `--${name}=`;
  const found = Deno.args.find((arg) => arg.startsWith(prefix));
  const value = found?.slice(prefix.length) ?? fallback;
  if (value === undefined) throw new Error(`missing --${name}=`);
  return value;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const at = Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1);
  return Math.round(sorted[Math.max(0, at)]! * 10) / 10;
}

function body(prefix: string, request: number): string {
  const now = Date.now();
  const lines: string[] = [];
  for (let k = 0; k < EVENTS_PER_REQUEST; k++) {
    const index = request * EVENTS_PER_REQUEST + k;
    lines.push(JSON.stringify({
      event_id: `${prefix}${index}.n`,
      correlation_id: `corr-${request}`,
      session_id: `sess-${index % 97}`,
      timestamp: new Date(now - (index % 1000)).toISOString(),
      event_type: ["request", "response", "tool_call", "security_decision"][
        index % 4
      ],
      actor: `agent-${index % 31}`,
      tool_name: "read_file",
      action: index % 3 === 0 ? "allow_tool" : "read_file",
      metadata: {
        request_path: `/api/v1/tools/read_file/${index % 50}`,
        client_ip: `10.1.${index % 256}.${(index * 7) % 256}`,
        labels: { team: `team-${index % 13}`, region: "eu-west-1" },
        bytes: (index * 131) % 100_000,
      },
      duration_ms: (index * 37) % 5000,
      status: index % 23 === 0 ? "error" : "success",
    }));
  }
  return lines.join("\n") + "\n";
}

async function main(): Promise<void> {
  const url = `${option("url")}/events`;
  const token = option("token");
  const seconds = Number(option("seconds", "60"));
  const concurrency = Number(option("concurrency", "8"));
  const prefix = option("prefix");
  const maxEvents = Number(option("max-events", "1000000"));
  const rate = Number(option("rate", "0"));
  if (!(rate >= 0)) throw new RangeError("--rate must be events per second");
  const interval = rate > 0 ? (1000 * EVENTS_PER_REQUEST) / rate : 0;
  let late = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const statuses: Record<string, number> = {};
  const latencies: number[] = [];
  const acknowledged: number[] = [];
  let next = 0;
  const caller = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const request = next++;
      if ((request + 1) * EVENTS_PER_REQUEST > maxEvents) return;
      if (interval > 0) {
        const due = started + request * interval;
        if (due >= deadline) return;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        else if (wait < -100) late++;
      }
      const payload = body(prefix, request);
      const sent = performance.now();
      let status = "network";
      try {
        const response = await fetch(url, {
          method: "POST",
          body: payload,
          headers: {
            "Content-Type": "application/x-ndjson",
            Authorization: `Bearer ${token}`,
          },
          signal: AbortSignal.timeout(30_000),
        });
        const text = await response.text();
        status = String(response.status);
        if (response.status === 202) {
          const answer = JSON.parse(text) as { event_ids?: string[] };
          const ids = answer.event_ids ?? [];
          const first = request * EVENTS_PER_REQUEST;
          if (
            ids.length === EVENTS_PER_REQUEST &&
            ids.every((id, k) => id === `${prefix}${first + k}.n`)
          ) {
            acknowledged.push(request);
          } else status = "202-mismatch";
        }
      } catch {
        status = "network";
      }
      latencies.push(performance.now() - sent);
      statuses[status] = (statuses[status] ?? 0) + 1;
      // A refused request is not retried: the soak counts errors, and the
      // server said not now.
      if (status !== "202" && interval === 0) {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, caller));
  latencies.sort((a, b) => a - b);
  const report: SoakClientReport = {
    requests: latencies.length,
    statuses,
    acknowledged: acknowledged.sort((a, b) => a - b),
    latencyMs: {
      p50: percentile(latencies, 0.5),
      p90: percentile(latencies, 0.9),
      p99: percentile(latencies, 0.99),
      max: percentile(latencies, 1),
    },
    elapsedMs: Math.round(performance.now() - started),
    ...(interval > 0 ? { late } : {}),
  };
  console.log(JSON.stringify(report));
}

if (import.meta.main) await main();
