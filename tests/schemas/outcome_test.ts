/**
 * The shared outcome, verdict and operation readings every schema maps
 * from: each word of each list, in any case.
 */
import assert from "node:assert/strict";
import {
  operationKindOf,
  outcomeOf,
  verdictOf,
} from "../../src/schemas/outcome.ts";

const SUCCESS = [
  "success",
  "succeeded",
  "ok",
  "allowed",
  "allow",
  "approved",
  "granted",
  "completed",
];
const FAILURE = [
  "failure",
  "failed",
  "fail",
  "error",
  "denied",
  "deny",
  "blocked",
  "rejected",
  "forbidden",
  "timeout",
];

Deno.test("outcomeOf(): each success and failure word, in any case; anything else unknown; an error event fails whatever its status", () => {
  for (const word of SUCCESS) {
    for (
      const status of [
        word,
        word.toUpperCase(),
        word[0]!.toUpperCase() + word.slice(1),
      ]
    ) {
      assert.equal(
        outcomeOf({ event_type: "request", status }),
        "success",
        status,
      );
    }
  }
  for (const word of FAILURE) {
    for (const status of [word, word.toUpperCase()]) {
      assert.equal(
        outcomeOf({ event_type: "tool_call", status }),
        "failure",
        status,
      );
    }
  }
  for (const status of ["pending", "200", "", "successful", "errors", "okay"]) {
    assert.equal(
      outcomeOf({ event_type: "response", status }),
      "unknown",
      status,
    );
  }
  assert.equal(
    outcomeOf({ event_type: "error", status: "success" }),
    "failure",
  );
});

Deno.test("verdictOf(): only a security decision has one: allowed, denied or unknown", () => {
  for (const word of SUCCESS) {
    assert.equal(
      verdictOf({ event_type: "security_decision", status: word }),
      "allowed",
      word,
    );
  }
  for (const word of FAILURE) {
    assert.equal(
      verdictOf({ event_type: "security_decision", status: word }),
      "denied",
      word,
    );
  }
  assert.equal(
    verdictOf({ event_type: "security_decision", status: "pending" }),
    "unknown",
  );
  for (const event_type of ["request", "response", "tool_call", "error"]) {
    assert.equal(
      verdictOf({ event_type, status: "denied" }),
      undefined,
      event_type,
    );
  }
});

Deno.test("operationKindOf(): the first word of the action, split at _, -, spaces, digits and camelCase, in any case", () => {
  const kinds: Record<string, string[]> = {
    create: ["create", "add", "new", "insert", "post", "upload"],
    read: [
      "read",
      "get",
      "list",
      "fetch",
      "query",
      "search",
      "view",
      "describe",
      "download",
    ],
    update: [
      "update",
      "write",
      "edit",
      "set",
      "put",
      "patch",
      "modify",
      "rename",
      "move",
    ],
    delete: ["delete", "remove", "rm", "drop", "destroy", "purge"],
  };
  for (const [kind, words] of Object.entries(kinds)) {
    for (const word of words) {
      assert.equal(operationKindOf(`${word}_file`), kind, word);
      assert.equal(operationKindOf(word.toUpperCase()), kind, word);
    }
  }
  assert.equal(operationKindOf("deleteFile"), "delete");
  assert.equal(operationKindOf("readFile"), "read");
  assert.equal(operationKindOf("  -12 remove-user"), "delete");
  assert.equal(operationKindOf("file.read"), "other");
  assert.equal(operationKindOf("invoke"), "other");
  assert.equal(operationKindOf(""), "other");
  assert.equal(operationKindOf("getter"), "other");
});
