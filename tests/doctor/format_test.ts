import assert from "node:assert/strict";
import { formatDiagnosis } from "../../src/doctor/format.ts";

Deno.test("formatDiagnosis(): one line per check with its mark and padded step, and the verdict last", () => {
  assert.equal(
    formatDiagnosis({
      name: "siem",
      platform: "splunk",
      endpoint: "https://hec.example.com:8088",
      canDeliver: false,
      checks: [
        { step: "connection", status: "ok", message: "up." },
        { step: "platform", status: "warn", message: "old." },
        { step: "authentication", status: "fail", message: "bad token." },
        { step: "test_event", status: "skipped", message: "not sent." },
      ],
    }),
    [
      "siem (splunk, https://hec.example.com:8088)",
      "  ok   connection      up.",
      "  warn platform        old.",
      "  FAIL authentication  bad token.",
      "  skip test_event      not sent.",
      "  => cannot deliver: fix the FAIL line above",
    ].join("\n"),
  );
  assert.equal(
    formatDiagnosis({
      name: "dd",
      platform: "datadog",
      endpoint: "https://http-intake.logs.datadoghq.eu",
      canDeliver: true,
      checks: [{ step: "permission", status: "ok", message: "fine." }],
    }),
    "dd (datadog, https://http-intake.logs.datadoghq.eu)\n  ok   permission      fine.\n  => can deliver",
  );
});
