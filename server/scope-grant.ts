import { createHash } from "node:crypto";
import type { Identity } from "./authenticate.ts";

/**
 * What a request asks scopes for: the device, its HTTP request, and who its verified token says
 * sent it (undefined in open mode).
 */
export interface ScopeRequest {
  readonly clientId: string;
  readonly request: Request;
  readonly identity?: Identity | undefined;
}

/**
 * The scopes a request may read and write: lists of scope texts (the values a model's scope
 * columns hold), or `"all"`. Global tables are read by everyone.
 */
export interface ScopeGrant {
  readonly read: readonly string[] | "all";
  readonly write: readonly string[] | "all";
}

/** Maps a request to its scopes; the server option `scopes`. */
export type ScopesOf = (request: ScopeRequest) => ScopeGrant | Promise<ScopeGrant>;

/** The default in open mode: every request reads and writes every scope. */
export const everyScope: ScopesOf = () => ({ read: "all", write: "all" });

/**
 * The default with authentication: a request reads and writes its subject's own scope (a scope
 * named by the token's `sub`), and every global table.
 */
export const subjectScope: ScopesOf = ({ identity }) =>
  identity ? { read: [identity.subject], write: [identity.subject] } : { read: [], write: [] };

/** The read scopes of a grant as a set (undefined: every scope), refusing a malformed grant. */
export function readScopes(grant: ScopeGrant): ReadonlySet<string> | undefined {
  const read: unknown = grant?.read;
  if (read === "all") return undefined;
  if (!Array.isArray(read) || read.some((scope) => typeof scope !== "string")) {
    throw new TypeError('the scopes option must answer { read: string[] | "all", write: … }');
  }
  return new Set(read as string[]);
}

/** A digest of read scopes, carried by cursors: another set of scopes is a SCOPE_CHANGED reset. */
export function scopesDigest(scopes: ReadonlySet<string> | undefined): string {
  if (scopes === undefined) return "all";
  const sorted = [...scopes].sort();
  return createHash("sha256").update(JSON.stringify(sorted)).digest("base64url").slice(0, 22);
}
