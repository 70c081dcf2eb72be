import { LRUCache } from "lru-cache";
import type { Identity } from "./authenticate.ts";

/** Options of {@link createVerifiedTokens}. */
export interface VerifiedTokensOptions {
  /** How long a verdict is kept, in milliseconds: a key taken out of a JWKS stops counting after it. */
  readonly maxAgeMs: number;
  /** Characters of tokens kept at most (the least recently used go first). */
  readonly maxCharacters: number;
  /** Seconds of leeway on `exp` and `nbf`, as the verification itself allows. */
  readonly clockToleranceSeconds: number;
  /** The clock, in Unix milliseconds. */
  readonly now: () => number;
}

interface Verdict {
  readonly identity: Identity;
  readonly verifiedAt: number;
}

/**
 * The identities of tokens verified lately, by their exact text: a device sends the same token
 * with every request until it expires, and verifying its signature each time costs a request a
 * few percent. Only tokens that passed every check are kept, and a kept one counts only while its
 * `exp` and `nbf` still hold (with the tolerance) and for at most `maxAgeMs` after it was
 * verified; any other text, a changed character included, is verified in full.
 */
export interface VerifiedTokens {
  /** The identity of `token` if it was verified lately and its time claims still hold. */
  get(token: string): Identity | undefined;
  /** Keeps the identity of a token that passed verification just now. */
  set(token: string, identity: Identity): void;
}

/** An empty {@link VerifiedTokens}, bounded by `maxCharacters` of token text. */
export function createVerifiedTokens(options: VerifiedTokensOptions): VerifiedTokens {
  const verdicts = new LRUCache<string, Verdict>({
    maxSize: options.maxCharacters,
    sizeCalculation: (_verdict, token) => Math.max(1, token.length),
  });
  const tolerance = options.clockToleranceSeconds * 1000;
  const stillHolds = ({ identity, verifiedAt }: Verdict, now: number): boolean => {
    const { exp, nbf } = identity.claims;
    if (now - verifiedAt >= options.maxAgeMs || now < verifiedAt) return false;
    if (typeof exp !== "number" || now >= exp * 1000 + tolerance) return false;
    return typeof nbf !== "number" || now >= nbf * 1000 - tolerance;
  };
  return {
    get(token) {
      const verdict = verdicts.get(token);
      if (verdict === undefined) return undefined;
      if (stillHolds(verdict, options.now())) return verdict.identity;
      verdicts.delete(token);
      return undefined;
    },
    set(token, identity) {
      verdicts.set(token, { identity, verifiedAt: options.now() });
    },
  };
}
