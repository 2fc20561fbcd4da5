/**
 * The doctor's checks of an Elasticsearch destination.
 *
 * - Product: `GET /` answers with the header `X-Elastic-Product:
 *   Elasticsearch` from 7.14 on; the official clients check it before their
 *   first call (https://github.com/elastic/elasticsearch-py/blob/v7.14.0/docs/sphinx/transports.rst,
 *   https://www.elastic.co/guide/en/elasticsearch/client/net-api/7.17/product-check-at-startup.html)
 *   and fall back to the `tagline` "You Know, for Search" for older servers
 *   (https://github.com/elastic/go-elasticsearch/pull/309).
 * - Credential: `GET /_security/_authenticate` answers 200 with the
 *   `username` and `authentication_type`, or 401
 *   (https://www.elastic.co/guide/en/elasticsearch/reference/8.19/security-api-authenticate.html).
 *   With security disabled (`xpack.security.enabled: false`) the security
 *   handlers are not registered and the answer is 400 "no handler found"
 *   (https://github.com/elastic/elasticsearch/pull/54043); older clusters
 *   on a basic license said "Security must be explicitly enabled".
 * - Write permission: `POST /_security/user/_has_privileges` with
 *   `{"index":[{"names":[index],"privileges":["create_doc"]}]}` answers
 *   `has_all_requested` for the caller's own privileges; `create_doc` is what
 *   the bulk `create` action needs
 *   (https://elastic.co/guide/en/elasticsearch/reference/7.6/security-api-has-privileges.html).
 *   Nothing is written, so no test event is sent unless asked.
 *
 * @module
 */
import type { SIEMConfig } from "../platforms/siem_config.ts";
import {
  describeAnswer,
  foreignAnswer,
  member,
  probe,
  type ProbeAnswer,
  type ProbeContext,
} from "./probe.ts";
import { type DoctorCheck, fail, ok, skipped, warn } from "./report.ts";
import { sendTestEvent } from "./test_event.ts";

const ES = "Elasticsearch";

/**
 * Checks an Elasticsearch destination.
 *
 * @param config The destination.
 * @param ctx The `fetch`, time limit and credential.
 * @param sendEvent Whether to send a test event.
 * @returns The steps checked, stopping at the first failure.
 */
export async function checkElasticsearch(
  config: SIEMConfig,
  ctx: ProbeContext,
  sendEvent: boolean,
): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  const headers: Record<string, string> = { Accept: "application/json" };
  if (config.token) headers.Authorization = `ApiKey ${config.token}`;
  const rootUrl = `${config.endpoint}/`;
  const root = await probe(ctx, rootUrl, { method: "GET", headers });
  if (!root.ok) return [fail("connection", root.message)];
  checks.push(ok("connection", `${new URL(rootUrl).host} answers.`));
  const product = root.headers.get("x-elastic-product");
  const version = member(member(root.json, "version"), "number");
  const versionText = typeof version === "string" ? ` ${version}` : "";
  if (product === "Elasticsearch") {
    checks.push(ok("platform", `Elasticsearch${versionText} answers.`));
  } else if (member(root.json, "tagline") === "You Know, for Search") {
    checks.push(warn(
      "platform",
      `The server answers like Elasticsearch${versionText} but without the header X-Elastic-Product: Elasticsearch: it is older than 7.14, OpenSearch, or behind a proxy that drops headers.`,
    ));
  } else {
    return [...checks, fail("platform", foreignAnswer(ES, rootUrl, root))];
  }

  const authUrl = `${config.endpoint}/_security/_authenticate`;
  const auth = await probe(ctx, authUrl, { method: "GET", headers });
  if (!auth.ok) return [...checks, fail("authentication", auth.message)];
  if (securityDisabled(auth)) {
    checks.push(warn(
      "authentication",
      `Security is disabled on this cluster: it checks no credential, and anyone who reaches it may read and write.${
        config.token ? " The configured API key is not used." : ""
      }`,
    ));
    checks.push(skipped(
      "permission",
      "No privileges to check: security is disabled on this cluster.",
    ));
    return withTestEvent(checks, config, ctx, sendEvent);
  }
  if (auth.status === 401) {
    return [
      ...checks,
      fail(
        "authentication",
        config.token
          ? `Elasticsearch refuses the API key (${
            reason(auth)
          }): it is wrong, expired or invalidated. Give the "encoded" value of a key from POST /_security/api_key (SIEM_ELASTICSEARCH_TOKEN).`
          : 'Elasticsearch requires a credential and none is configured: set the destination\'s token to the "encoded" value of an API key (SIEM_ELASTICSEARCH_TOKEN).',
      ),
    ];
  }
  const username = member(auth.json, "username");
  if (auth.status !== 200 || typeof username !== "string") {
    return [
      ...checks,
      fail(
        "authentication",
        `${describeAnswer(authUrl, auth)} answered the authenticate API with ${
          reason(auth)
        }: check the endpoint and the credential.`,
      ),
    ];
  }
  const keyName = member(member(auth.json, "api_key"), "name");
  const type = member(auth.json, "authentication_type");
  checks.push(ok(
    "authentication",
    `Elasticsearch accepts the credential: ${
      typeof keyName === "string" ? `API key "${keyName}" of ` : ""
    }user "${username}"${typeof type === "string" ? ` (${type})` : ""}.`,
  ));

  const privilegesUrl = `${config.endpoint}/_security/user/_has_privileges`;
  const privileges = await probe(ctx, privilegesUrl, {
    method: "POST",
    headers: { ...headers, "Content-Type": "application/json" },
    body: JSON.stringify({
      index: [{ names: [config.index], privileges: ["create_doc"] }],
    }),
  });
  if (!privileges.ok) {
    return [...checks, fail("permission", privileges.message)];
  }
  const all = member(privileges.json, "has_all_requested");
  if (privileges.status !== 200 || typeof all !== "boolean") {
    return [
      ...checks,
      fail(
        "permission",
        `${
          describeAnswer(privilegesUrl, privileges)
        } answered the has-privileges API with ${
          reason(privileges)
        }: the write permission could not be checked.`,
      ),
    ];
  }
  if (!all) {
    return [
      ...checks,
      fail(
        "permission",
        `The credential may not write to "${config.index}": it lacks the create_doc privilege on it. Give its role (or the API key's role descriptor) {"names":["${config.index}"],"privileges":["create_doc"]} (or "write"), or set the destination's index to one it may write to.`,
      ),
    ];
  }
  checks.push(ok(
    "permission",
    `The credential may write to "${config.index}" (create_doc).`,
  ));
  return withTestEvent(checks, config, ctx, sendEvent);
}

async function withTestEvent(
  checks: DoctorCheck[],
  config: SIEMConfig,
  ctx: ProbeContext,
  sendEvent: boolean,
): Promise<DoctorCheck[]> {
  if (!sendEvent) return checks;
  checks.push(
    await sendTestEvent(
      config,
      ctx.fetch,
      ctx.stepTimeoutMs,
      `"${config.index}"`,
    ),
  );
  return checks;
}

function securityDisabled(answer: ProbeAnswer): boolean {
  const error = member(answer.json, "error");
  const text = typeof error === "string"
    ? error
    : String(member(error, "reason") ?? "");
  return (answer.status === 400 && /^no handler found/i.test(text)) ||
    (answer.status >= 400 &&
      /security (?:must be explicitly enabled|is not enabled)/i.test(text));
}

function reason(answer: ProbeAnswer): string {
  const error = member(answer.json, "error");
  const text = typeof error === "string"
    ? error
    : member(error, "reason") ?? member(error, "type");
  return typeof text === "string"
    ? `HTTP ${answer.status}, "${text}"`
    : `HTTP ${answer.status}`;
}
