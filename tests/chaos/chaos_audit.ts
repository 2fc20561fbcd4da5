/**
 * The audit of a chaos run: where every event went, against what the fault
 * schedule allows.
 *
 * @module
 */
import { type ChaosPlatform, PLATFORMS } from "./chaos_receivers.ts";
import {
  type ChaosOutcome,
  type EventClass,
  HEAP_GROWTH_BOUND_BYTES,
  mb,
  RAW_HEAP_BOUND_BYTES,
} from "./chaos_run.ts";

/** A permanent refusal, as each platform's reason reads. */
const PERMANENT: Record<ChaosPlatform, RegExp> = {
  splunk: /^HEC code (6|12|13|15): |^HTTP 413: /,
  elasticsearch: /^item HTTP 4(?!09|29)\d\d: |^HTTP 413: /,
  datadog: /above Datadog's \d+-byte limit per log|^HTTP (400|413): /,
  opensearch: /^item HTTP 4(?!09|29)\d\d: |^HTTP 413: /,
  sentinel:
    /above the Logs Ingestion API's \d+-byte limit per call|^HTTP (400|413): /,
  http: /^event is \d+ bytes, above the \d+-byte request limit|^HTTP 413: /,
};

/** The classes each platform can never take (see `EventClass`). */
function refusedClasses(
  platform: ChaosPlatform,
  variant: ChaosOutcome["variant"],
): EventClass[] {
  if (platform === "splunk") return ["b", "h"];
  if (platform === "elasticsearch") return ["h", "p"];
  // The fake OpenSearch has no size limit and no poison mapping: it takes all.
  if (platform === "opensearch") return [];
  // The http destination refuses an event above its 1 MB maxBatchBytes:
  // the integrator's 1.05 MB events; the spool's 650 KB ones pass.
  return variant === "integrator" ? ["h"] : [];
}

/** One destination's figures. */
export interface DestinationFigures {
  delivered: number;
  deadLettered: number;
  lost: number;
  duplicates: number;
  /** Dead-lettered although the SIEM had stored it (a 413 met its resend alone). */
  deliveredAndDead: number;
}

/** The audit's findings. */
export interface Audit {
  /** Everything that breaks the delivery guarantees; empty when the run is sound. */
  problems: string[];
  /** Per destination. */
  figures: Record<ChaosPlatform, DestinationFigures>;
  /** The one-line summary. */
  summary: string;
}

function sample(items: Iterable<string>, n = 5): string {
  const list = [...items];
  return list.slice(0, n).join(", ") + (list.length > n ? ", …" : "");
}

/** Audits a chaos run. */
export function audit(outcome: ChaosOutcome): Audit {
  const { plan, stats, receipts, deadLetters, client, variant } = outcome;
  const problems: string[] = [];
  const problem = (text: string): void => void problems.push(text);
  if (outcome.timedOut) problem(`did not converge: ${outcome.timedOut}`);
  const refused = new Set(outcome.refusedAtAccept);
  const expected = plan.count - refused.size;
  if (outcome.accepted !== expected) {
    problem(`accepted ${outcome.accepted} events, expected ${expected}`);
  }
  if (variant === "spool") {
    const giants = plan.indexesOf("g").map((i) => plan.id(i));
    const notRefused = giants.filter((id) => !refused.has(id));
    if (notRefused.length > 0) {
      problem(
        `events over the spool's 700 KB were not refused at accept: ${
          sample(notRefused)
        }`,
      );
    }
  }
  if (deadLetters.twice.length > 0) {
    problem(
      `events dead-lettered twice at one destination: ${
        sample(deadLetters.twice)
      }`,
    );
  }
  if (stats.eventsAccepted !== outcome.accepted) {
    problem(
      `stats eventsAccepted ${stats.eventsAccepted}, accepted ${outcome.accepted}`,
    );
  }
  if (outcome.stop.undeliveredCount !== 0) {
    problem(`stop() left ${outcome.stop.undeliveredCount} undelivered`);
  }
  if (outcome.outboxLeft !== undefined && outcome.outboxLeft !== 0) {
    problem(`the spool's outbox still holds ${outcome.outboxLeft} keys`);
  }
  const figures = {} as Record<ChaosPlatform, DestinationFigures>;
  for (const platform of PLATFORMS) {
    const receipt = receipts[platform];
    const dead = deadLetters.of(platform);
    const perStats = stats.perDestination[platform]!;
    const missing = new Set(receipt.missing.map((i) => plan.id(i)));
    for (const id of refused) missing.delete(id);
    const alone413 = new Set(receipt.alone413);
    const ambiguous = client.ambiguous[platform];
    const lost = [...missing].filter((id) => !dead.has(id));
    const deliveredAndDead = [...dead.keys()].filter((id) => !missing.has(id));
    const duplicates = receipt.stored - receipt.unique;
    figures[platform] = {
      delivered: receipt.unique,
      deadLettered: dead.size,
      lost: lost.length,
      duplicates,
      deliveredAndDead: deliveredAndDead.length,
    };
    const at = (text: string): void => problem(`${platform}: ${text}`);
    if (lost.length > 0) {
      at(
        `${lost.length} events lost (neither stored nor dead-lettered): ${
          sample(lost)
        }`,
      );
    }
    const badBoth = deliveredAndDead.filter((id) =>
      !(alone413.has(id) && ambiguous.has(id))
    );
    if (badBoth.length > 0) {
      at(
        `${badBoth.length} events both stored and dead-lettered: ${
          sample(badBoth.map((id) => `${id} (${dead.get(id)})`))
        }`,
      );
    }
    const classes = refusedClasses(platform, variant);
    const permitted = (id: string): boolean =>
      alone413.has(id) || classes.includes(id.slice(-1) as EventClass);
    const wrongDead = [...dead.keys()].filter((id) => !permitted(id));
    if (wrongDead.length > 0) {
      at(
        `${wrongDead.length} deliverable events dead-lettered: ${
          sample(wrongDead.map((id) => `${id} (${dead.get(id)})`))
        }`,
      );
    }
    const notPermanent = [...dead].filter(([, reason]) =>
      !PERMANENT[platform].test(reason)
    );
    if (notPermanent.length > 0) {
      at(
        `${notPermanent.length} dead letters without a permanent reason: ${
          sample(notPermanent.map(([id, reason]) => `${id} (${reason})`))
        }`,
      );
    }
    const mustDie = classes.flatMap((cls) => plan.indexesOf(cls)).map((i) =>
      plan.id(i)
    ).filter((id) => !refused.has(id) && !dead.has(id));
    if (mustDie.length > 0) {
      at(
        `${mustDie.length} events it can never take were not dead-lettered: ${
          sample(mustDie)
        }`,
      );
    }
    if (receipt.unknown > 0) at(`${receipt.unknown} unknown events stored`);
    // Tokens live 2 s and are renewed at half their life: a run of several
    // seconds that got one token never renewed it.
    if (
      platform === "sentinel" && outcome.elapsedMs > 5000 &&
      receipt.tokensIssued < 2
    ) {
      at(`${receipt.tokensIssued} Entra token(s) over the run: none renewed`);
    }
    if (receipt.truncated > 0) {
      at(`${receipt.truncated} logs over 1 MB sent (Datadog truncates them)`);
    }
    // Duplicates: Elasticsearch and OpenSearch (a domain, `_id` sent) store
    // none (create with _id); Splunk and Datadog only for events whose
    // answer never reached the sender.
    const duplicated = receipt.duplicated.map((i) => plan.id(i));
    if (
      (platform === "elasticsearch" || platform === "opensearch") &&
      duplicated.length > 0
    ) {
      at(`${duplicated.length} documents stored twice`);
    }
    const unexplained = duplicated.filter((id) => !ambiguous.has(id));
    if (unexplained.length > 0) {
      at(
        `${unexplained.length} duplicates without a lost answer: ${
          sample(unexplained)
        }`,
      );
    }
    // The statistics agree with the receivers and the dead letters.
    if (perStats.eventsReceived !== expected) {
      at(
        `stats eventsReceived ${perStats.eventsReceived}, expected ${expected}`,
      );
    }
    if (perStats.eventsFailed !== dead.size) {
      at(
        `stats eventsFailed ${perStats.eventsFailed}, dead-lettered ${dead.size}`,
      );
    }
    if ((deadLetters.counted[platform] ?? 0) !== dead.size) {
      at(
        `letters carried ${
          deadLetters.counted[platform]
        } events for ${dead.size} ids`,
      );
    }
    if (perStats.eventsExported !== expected - dead.size) {
      at(
        `stats eventsExported ${perStats.eventsExported}, expected ${
          expected - dead.size
        } (accepted less dead-lettered)`,
      );
    }
    if (
      perStats.eventsExported !== receipt.unique - deliveredAndDead.length
    ) {
      at(
        `stats eventsExported ${perStats.eventsExported}, but the SIEM stored ${receipt.unique} distinct events (${deliveredAndDead.length} of them also dead-lettered)`,
      );
    }
    if (perStats.buffered !== 0) at(`${perStats.buffered} still buffered`);
    // Every request the sender counted reached the SIEM, and only those,
    // but for requests that failed on the client's side before the SIEM saw
    // them: a network error or a time-out the client met (under load a 1 s
    // limit can fire before the request reaches the fake), and, for
    // Sentinel, posts that failed for want of a token (at most one per
    // failed token request: a destination posts one batch at a time, and a
    // renewal that fails while the token is valid still sends).
    const unreached = perStats.exportsTotal - receipt.requests;
    const mayMiss = client.networkErrors[platform] +
      (platform === "sentinel" ? client.tokenFailures : 0);
    if (unreached < 0 || unreached > mayMiss) {
      at(
        `stats exportsTotal ${perStats.exportsTotal}, but the SIEM received ${receipt.requests} requests (${
          client.networkErrors[platform]
        } failed on the network${
          platform === "sentinel"
            ? `, ${client.tokenFailures} token requests failed`
            : ""
        })`,
      );
    }
    if (
      perStats.exportsSuccessful + perStats.exportsFailed !==
        perStats.exportsTotal
    ) {
      at(
        `stats exportsSuccessful ${perStats.exportsSuccessful} + exportsFailed ${perStats.exportsFailed} != exportsTotal ${perStats.exportsTotal}`,
      );
    }
    if (outcome.storedDeadLetters) {
      const stored = outcome.storedDeadLetters[platform] ?? new Map();
      const missingStored = [...dead.keys()].filter((id) => !stored.has(id));
      const extraStored = [...stored.keys()].filter((id) => !dead.has(id));
      if (missingStored.length > 0 || extraStored.length > 0) {
        at(
          `stored dead letters differ from the callback's: ${missingStored.length} not stored (${
            sample(missingStored)
          }), ${extraStored.length} stored only (${sample(extraStored)})`,
        );
      }
    }
  }
  const { heap } = outcome;
  if (heap.exact) {
    const growth = heap.retainedPeak - heap.retainedFirst;
    if (growth > HEAP_GROWTH_BOUND_BYTES) {
      problem(
        `the retained heap grew by ${mb(growth)} MB (from ${
          mb(heap.retainedFirst)
        } to ${mb(heap.retainedPeak)} MB), over the bound of ${
          mb(HEAP_GROWTH_BOUND_BYTES)
        } MB`,
      );
    }
  } else if (heap.peak > RAW_HEAP_BOUND_BYTES) {
    problem(
      `peak heapUsed ${mb(heap.peak)} MB over the bound of ${
        mb(RAW_HEAP_BOUND_BYTES)
      } MB (no full collection available)`,
    );
  }
  const per = (pick: (f: DestinationFigures) => number): string =>
    PLATFORMS.map((p) => `${p.slice(0, 2)}:${pick(figures[p])}`).join("/");
  const faults = Object.entries(outcome.faults).sort().map(([k, v]) =>
    `${k}:${v}`
  ).join(",");
  const items = receipts.elasticsearch.itemFaults;
  const summary = `chaos ${variant} seed=${outcome.seed} events=${plan.count}` +
    ` accepted=${outcome.accepted}` +
    (refused.size ? ` refused_at_accept=${refused.size}` : "") +
    ` faults={${faults},outage_ms:${outcome.outageMs},es_items_429:${
      items["429"] ?? 0
    },es_items_503:${items["503"] ?? 0},es_items_400:${items["400"] ?? 0}}` +
    ` oversize={splunk_event:${plan.classCounts().b + plan.classCounts().h},` +
    `huge:${plan.classCounts().h},es_poison:${plan.classCounts().p}}` +
    ` delivered=${per((f) => f.delivered)}` +
    ` dead_lettered=${per((f) => f.deadLettered)}` +
    ` lost=${PLATFORMS.reduce((n, p) => n + figures[p].lost, 0)}` +
    ` duplicates=${per((f) => f.duplicates)}` +
    ` stored_and_dead=${per((f) => f.deliveredAndDead)}` +
    ` retries=${stats.totalRetries}` +
    ` client_faults_met=${JSON.stringify(client.appliedFaults)}` +
    ` heap_after_gc={first:${mb(outcome.heap.retainedFirst)},min:${
      mb(outcome.heap.retainedMin)
    },peak:${mb(outcome.heap.retainedPeak)},last:${
      mb(outcome.heap.retainedLast)
    }}MB` +
    ` peak_heap_with_garbage=${mb(outcome.heap.peak)}MB peak_rss=${
      mb(outcome.heap.peakRss)
    }MB` +
    ` elapsed=${(outcome.elapsedMs / 1000).toFixed(1)}s` +
    ` problems=${problems.length}`;
  return { problems, figures, summary };
}
