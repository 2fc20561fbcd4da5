/**
 * Converting 1000 audit events to SIEM events, beside the floor: one
 * `JSON.stringify` + `TextEncoder` of the same 1000 normalized events.
 *
 * Run: deno task bench
 */
import { parseAuditEvent } from "../src/events/audit_event.ts";
import { toSIEMEvent } from "../src/events/siem_event.ts";
import { realisticEvents } from "../tests/fixtures/events.ts";

const audit = realisticEvents(1000).map((event) => parseAuditEvent(event));
const siem = audit.map((event) => toSIEMEvent(event));
const encoder = new TextEncoder();
let sink = 0;

Deno.bench({
  name: "floor: JSON.stringify + TextEncoder of 1000 SIEM events",
  group: "convert 1000",
  baseline: true,
  fn(): void {
    sink += encoder.encode(JSON.stringify(siem)).length;
  },
});

Deno.bench({
  name: "toSIEMEvent() x 1000",
  group: "convert 1000",
  fn(): void {
    for (let i = 0; i < audit.length; i++) {
      sink += toSIEMEvent(audit[i]!).severity.length;
    }
  },
});

Deno.bench({
  name: "parseAuditEvent() + toSIEMEvent() x 1000 (validation included)",
  group: "convert 1000",
  fn(): void {
    const raw = realisticInputs;
    for (let i = 0; i < raw.length; i++) {
      sink += toSIEMEvent(parseAuditEvent(raw[i])).severity.length;
    }
  },
});

const realisticInputs = realisticEvents(1000);

globalThis.addEventListener("unload", () => {
  if (sink === -1) throw new Error("unreachable: keeps the work observable");
});
