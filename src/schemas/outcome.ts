/**
 * What every schema mapping reads the same way: an event's outcome from its
 * free-form `status`, a security decision's verdict, and the kind of
 * operation its `action` names.
 *
 * @module
 */

/** An event's outcome, in ECS's `event.outcome` words. */
export type Outcome = "success" | "failure" | "unknown";

// Status words, compared in lower case. Anything else (`pending`, a code) is
// "unknown": a mapping never guesses, and keeps the raw word beside it.
const SUCCESS = new Set([
  "success",
  "succeeded",
  "ok",
  "allowed",
  "allow",
  "approved",
  "granted",
  "completed",
]);
const FAILURE = new Set([
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
]);

/**
 * The outcome of an event: `failure` for an `error` event, else read from
 * its status word (`success`, `allowed`... → success; `error`, `denied`,
 * `blocked`... → failure; anything else → unknown).
 *
 * @param event The event's type and status.
 * @returns The outcome.
 */
export function outcomeOf(
  event: { readonly event_type: string; readonly status: string },
): Outcome {
  if (event.event_type === "error") return "failure";
  const word = event.status.toLowerCase();
  if (SUCCESS.has(word)) return "success";
  if (FAILURE.has(word)) return "failure";
  return "unknown";
}

/** A security decision's verdict, or `undefined` for another event. */
export type Verdict = "allowed" | "denied" | "unknown";

/**
 * The verdict of a security decision, read from its outcome: a decision
 * that succeeded let the operation through; one that failed (`denied`,
 * `blocked`, `error`) stopped it.
 *
 * @param event The event's type and status.
 * @returns The verdict, or `undefined` when the event is not a decision.
 */
export function verdictOf(
  event: { readonly event_type: string; readonly status: string },
): Verdict | undefined {
  if (event.event_type !== "security_decision") return undefined;
  const outcome = outcomeOf(event);
  return outcome === "success"
    ? "allowed"
    : outcome === "failure"
    ? "denied"
    : "unknown";
}

/** The CRUD kind of an operation, or `other`. */
export type OperationKind = "create" | "read" | "update" | "delete" | "other";

const KINDS: ReadonlyArray<readonly [OperationKind, ReadonlySet<string>]> = [
  ["create", new Set(["create", "add", "new", "insert", "post", "upload"])],
  [
    "read",
    new Set([
      "read",
      "get",
      "list",
      "fetch",
      "query",
      "search",
      "view",
      "describe",
      "download",
    ]),
  ],
  [
    "update",
    new Set([
      "update",
      "write",
      "edit",
      "set",
      "put",
      "patch",
      "modify",
      "rename",
      "move",
    ]),
  ],
  ["delete", new Set(["delete", "remove", "rm", "drop", "destroy", "purge"])],
];

/**
 * The CRUD kind an action names by its first word (`read_file` → read,
 * `deleteUser` → delete, `run_shell` → other).
 *
 * @param action The event's action.
 * @returns Its kind.
 */
export function operationKindOf(action: string): OperationKind {
  const first = action.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase()
    .split(/[^a-z]+/).find((word) => word !== "") ?? "";
  for (const [kind, words] of KINDS) if (words.has(first)) return kind;
  return "other";
}
