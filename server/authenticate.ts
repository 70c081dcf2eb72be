import { createRemoteJWKSet, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from "jose";
import { createVerifiedTokens } from "./verified-tokens.ts";

/**
 * How requests prove who they are (SYNC.md, "Identity and ownership"): a JWT in
 * `Authorization: Bearer …`, signed with an HS256 `secret` or by a key of a JWKS (`jwksUrl`), with
 * the given issuer and audience.
 */
export interface AuthOptions {
  /** HS256 secret, at least 32 characters. Give this or `jwksUrl`. */
  readonly secret?: string;
  /** A JWKS URL (https, or http on loopback): tokens signed with RS256, PS256, ES256 or EdDSA. */
  readonly jwksUrl?: string;
  /** The `iss` tokens must carry. */
  readonly issuer?: string;
  /** The `aud` tokens must carry (one of them). */
  readonly audience?: string | readonly string[];
  /** Seconds of leeway on `exp` and `nbf`. Default 30. */
  readonly clockToleranceSeconds?: number;
  /** How many clientIds one subject may hold. Default 16. */
  readonly maxClientsPerSubject?: number;
}

/** Who a verified token says sent a request. */
export interface Identity {
  /** The token's `sub`. */
  readonly subject: string;
  readonly claims: Readonly<JWTPayload>;
}

/** Why a request is not authenticated; the message names what is missing or wrong, never the token. */
export class AuthenticationError extends Error {
  override readonly name = "AuthenticationError";
}

/** Verifies a request's token; throws {@link AuthenticationError}. */
export type Authenticate = (request: Request) => Promise<Identity>;

/** The longest Authorization header read: a JWT is far shorter; a longer one is refused unread. */
export const maxAuthorizationLength = 8192;

/** `Bearer` and a JWT; the scheme's name is case-insensitive (RFC 9110, 11.1). */
const bearer = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/i;
const asymmetric = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "EdDSA",
];

/** Checks the options once, at start; a mistake is an Error naming the option. */
function checkOptions(options: AuthOptions): void {
  const fail = (message: string) => new Error(`createSyncServer: option "auth" ${message}`);
  if ((options.secret === undefined) === (options.jwksUrl === undefined)) {
    throw fail("needs exactly one of secret and jwksUrl");
  }
  if (
    options.secret !== undefined &&
    (typeof options.secret !== "string" || options.secret.length < 32)
  ) {
    throw fail("secret must be a text of at least 32 characters");
  }
  if (options.jwksUrl !== undefined) {
    const url = URL.canParse(options.jwksUrl) ? new URL(options.jwksUrl) : undefined;
    const loopback =
      url?.hostname === "127.0.0.1" || url?.hostname === "localhost" || url?.hostname === "[::1]";
    if (!url || !(url.protocol === "https:" || (url.protocol === "http:" && loopback))) {
      throw fail("jwksUrl must be an https URL (http only on loopback)");
    }
  }
  const tolerance = options.clockToleranceSeconds;
  if (
    tolerance !== undefined &&
    (!Number.isSafeInteger(tolerance) || tolerance < 0 || tolerance > 3600)
  ) {
    throw fail("clockToleranceSeconds must be an integer from 0 to 3600");
  }
  const most = options.maxClientsPerSubject;
  if (most !== undefined && (!Number.isSafeInteger(most) || most < 1)) {
    throw fail("maxClientsPerSubject must be a positive integer");
  }
}

/** The token of a request's Authorization header; only a header counts (never the URL). */
function tokenOf(request: Request): string {
  const header = request.headers.get("authorization");
  if (header === null) throw new AuthenticationError("the request has no Authorization header");
  if (header.length > maxAuthorizationLength) {
    throw new AuthenticationError("the Authorization header is too long to be a token");
  }
  const match = bearer.exec(header);
  if (!match) throw new AuthenticationError("the Authorization header is not Bearer and a JWT");
  return match[1] as string;
}

/** What jose's refusal says, without the token. */
function reason(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case "ERR_JWT_EXPIRED":
      return "the token has expired";
    case "ERR_JWT_CLAIM_VALIDATION_FAILED":
      return `the token's claim ${(error as { claim?: string }).claim ?? ""} is not accepted`;
    case "ERR_JOSE_ALG_NOT_ALLOWED":
      return "the token's algorithm is not accepted";
    case "ERR_JWS_SIGNATURE_VERIFICATION_FAILED":
      return "the token's signature does not verify";
    default:
      return "the token is not valid";
  }
}

/**
 * The HS256 secret as a CryptoKey, imported once: given the raw bytes, jose imports them again for
 * every token, about half of what verifying one costs.
 */
function hs256Key(secret: string): Promise<CryptoKey> {
  const imported = crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  );
  // Awaited by every request; this only keeps a failed import from being an unhandled rejection.
  imported.catch(() => {});
  return imported;
}

/** A verdict is kept this long at most (see {@link createVerifiedTokens}). */
const verdictMaxAgeMs = 60_000;
/** Characters of tokens whose verdicts are kept: 16 MiB of text at most. */
const verdictMaxCharacters = 16 * 1024 * 1024;

/**
 * Builds the verifier of {@link AuthOptions}: jose does the cryptography and the claim checks. A
 * token that passed them is not verified again for up to a minute while its `exp` and `nbf` hold
 * (see {@link createVerifiedTokens}); `now` (Unix milliseconds) is the clock of both, for tests.
 */
export function createAuthenticate(
  options: AuthOptions,
  now: () => number = Date.now,
): Authenticate {
  checkOptions(options);
  const clockTolerance = options.clockToleranceSeconds ?? 30;
  const verified = createVerifiedTokens({
    maxAgeMs: verdictMaxAgeMs,
    maxCharacters: verdictMaxCharacters,
    clockToleranceSeconds: clockTolerance,
    now,
  });
  const key: Promise<CryptoKey> | JWTVerifyGetKey =
    options.secret !== undefined
      ? hs256Key(options.secret)
      : createRemoteJWKSet(new URL(options.jwksUrl as string));
  const verifyOptions = {
    algorithms: options.secret !== undefined ? ["HS256"] : asymmetric,
    clockTolerance,
    requiredClaims: ["sub", "exp"],
    ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
    ...(options.audience === undefined ? {} : { audience: [...[options.audience].flat()] }),
  };
  return async (request) => {
    const token = tokenOf(request);
    const known = verified.get(token);
    if (known) return known;
    const checks = { ...verifyOptions, currentDate: new Date(now()) };
    let claims: JWTPayload;
    try {
      ({ payload: claims } =
        typeof key === "function"
          ? await jwtVerify(token, key, checks)
          : await jwtVerify(token, await key, checks));
    } catch (error) {
      throw new AuthenticationError(reason(error), { cause: error });
    }
    const subject = claims.sub;
    if (
      typeof subject !== "string" ||
      subject.length === 0 ||
      subject.length > 200 ||
      !subject.isWellFormed()
    ) {
      throw new AuthenticationError("the token's sub is not a subject (1 to 200 characters)");
    }
    const identity = { subject, claims };
    verified.set(token, identity);
    return identity;
  };
}
