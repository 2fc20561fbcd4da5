/**
 * Audit events from Hono apps without glue code: {@linkcode siemAudit}
 * records one audit event per request (who, which route, the outcome, how
 * long) and hands it to a `SIEMIntegrator`, which delivers it to the SIEMs
 * without holding up the response. Import from `@harombe/siem/hono`.
 *
 * @example Auditing every API route
 * ```ts ignore
 * import { Hono } from "hono";
 * import { SIEMIntegrator } from "@harombe/siem";
 * import { siemAudit } from "@harombe/siem/hono";
 *
 * const integrator = new SIEMIntegrator([
 *   { platform: "splunk", endpoint: "https://splunk.example.com:8088", token: "hec-token" },
 * ]);
 * type AppEnv = { Variables: { user: string } };
 * const app = new Hono<AppEnv>();
 * app.use("/api/*", siemAudit<AppEnv>({ integrator, actor: (c) => c.get("user") }));
 * app.get("/api/orders/:id", (c) => c.json({ id: c.req.param("id") }));
 * ```
 *
 * @module
 */
export { MAX_CORRELATION_ID_LENGTH, siemAudit } from "./hono_middleware.ts";
export { CREDENTIAL_HEADERS, type SIEMAuditOptions } from "./hono_options.ts";
export type {
  HonoContextLike,
  HonoEnvLike,
  HonoRequestLike,
  SIEMAuditContext,
  SIEMAuditMiddleware,
  VariablesOf,
} from "./hono_context.ts";
