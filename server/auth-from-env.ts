import type { AuthOptions } from "./authenticate.ts";

/** How `npm start` authenticates, from its environment. */
export type StartAuth =
  | { readonly mode: "token"; readonly auth: AuthOptions }
  | { readonly mode: "open" };

const loopback = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/**
 * Reads `SYNC_JWT_SECRET` or `SYNC_JWKS_URL`, `SYNC_JWT_ISSUER`, `SYNC_JWT_AUDIENCE` (commas for
 * several) and `SYNC_AUTH`. Without a secret or JWKS the server runs in open mode, which it
 * refuses on a non-loopback `host` unless `SYNC_AUTH=none` says that is intended: an Error naming
 * the variables.
 */
export function authFromEnv(env: NodeJS.ProcessEnv, host: string): StartAuth {
  const secret = env.SYNC_JWT_SECRET || undefined;
  const jwksUrl = env.SYNC_JWKS_URL || undefined;
  const mode = env.SYNC_AUTH || undefined;
  if (mode !== undefined && mode !== "none" && mode !== "token") {
    throw new Error(`SYNC_AUTH must be "none" or "token", got ${JSON.stringify(mode)}`);
  }
  if (secret === undefined && jwksUrl === undefined) {
    if (mode === "token") {
      throw new Error("SYNC_AUTH=token needs SYNC_JWT_SECRET or SYNC_JWKS_URL");
    }
    if (!loopback.has(host) && mode !== "none") {
      throw new Error(
        `refusing to listen on ${host} in open mode (no authentication): set SYNC_JWT_SECRET or SYNC_JWKS_URL, or SYNC_AUTH=none if anyone who reaches it may write`,
      );
    }
    return { mode: "open" };
  }
  if (mode === "none") {
    throw new Error("SYNC_AUTH=none contradicts SYNC_JWT_SECRET / SYNC_JWKS_URL");
  }
  const audience = (env.SYNC_JWT_AUDIENCE ?? "")
    .split(",")
    .map((value) => value.trim())
    .filter((value) => value !== "");
  return {
    mode: "token",
    auth: {
      ...(secret === undefined ? {} : { secret }),
      ...(jwksUrl === undefined ? {} : { jwksUrl }),
      ...(env.SYNC_JWT_ISSUER ? { issuer: env.SYNC_JWT_ISSUER } : {}),
      ...(audience.length === 0 ? {} : { audience }),
    },
  };
}
