import { SignJWT } from "jose";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { createAuthenticate } from "./authenticate.ts";

// Counts jose's verifications: the verdicts kept must spare them, and only them.
const verifications = vi.hoisted(() => ({ count: 0 }));
vi.mock("jose", async (importOriginal) => {
  const jose = await importOriginal<typeof import("jose")>();
  return {
    ...jose,
    jwtVerify: (...args: Parameters<typeof jose.jwtVerify>) => {
      verifications.count += 1;
      return jose.jwtVerify(...args);
    },
  };
});

const secret = "a-test-secret-of-at-least-32-characters";
const t0 = Date.UTC(2026, 11, 4, 12, 0, 0);

/** An HS256 token of `subject` valid from `nbf` to `exp` (Unix seconds). */
function token(subject: string, exp: number, nbf?: number): Promise<string> {
  const jwt = new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setSubject(subject);
  if (nbf !== undefined) jwt.setNotBefore(nbf);
  return jwt.setExpirationTime(exp).sign(new TextEncoder().encode(secret));
}

const request = (jwt: string) =>
  new Request("http://127.0.0.1/graphql", { headers: { authorization: `Bearer ${jwt}` } });

/** A verifier on a clock the test moves; tolerance 5 s. */
function verifier() {
  const clock = { now: t0 };
  const authenticate = createAuthenticate({ secret, clockToleranceSeconds: 5 }, () => clock.now);
  return { clock, authenticate };
}

beforeEach(() => {
  verifications.count = 0;
});

describe("verified tokens are not verified again for a minute", () => {
  it("accepts a token verified lately without verifying it again, then verifies it again after a minute", async () => {
    const { clock, authenticate } = verifier();
    const jwt = await token("ada", t0 / 1000 + 3600);
    expect((await authenticate(request(jwt))).subject).toBe("ada");
    clock.now += 59_000;
    expect((await authenticate(request(jwt))).subject).toBe("ada");
    expect(verifications.count).toBe(1);
    clock.now += 2_000;
    expect((await authenticate(request(jwt))).subject).toBe("ada");
    expect(verifications.count).toBe(2);
  });

  it("refuses a kept token once it expires (with the tolerance), as a fresh verification would", async () => {
    const { clock, authenticate } = verifier();
    const jwt = await token("ada", t0 / 1000 + 20);
    await authenticate(request(jwt));
    clock.now += 24_000;
    expect((await authenticate(request(jwt))).subject).toBe("ada");
    clock.now += 2_000; // 26 s: past exp + 5 s
    await expect(authenticate(request(jwt))).rejects.toThrow("the token has expired");
    // Refused each time after that, verified in full.
    await expect(authenticate(request(jwt))).rejects.toThrow("the token has expired");
  });

  it("keeps no verdict of a refused token: one not valid yet is accepted once its nbf comes", async () => {
    const { clock, authenticate } = verifier();
    const jwt = await token("ada", t0 / 1000 + 3600, t0 / 1000 + 60);
    await expect(authenticate(request(jwt))).rejects.toThrow("nbf");
    await expect(authenticate(request(jwt))).rejects.toThrow("nbf");
    expect(verifications.count).toBe(2);
    clock.now += 56_000; // within the tolerance of nbf
    expect((await authenticate(request(jwt))).subject).toBe("ada");
  });

  it("verifies in full any other text: a changed signature, another token of the same subject", async () => {
    const { authenticate } = verifier();
    const jwt = await token("ada", t0 / 1000 + 3600);
    await authenticate(request(jwt));
    const last = jwt.at(-2) === "A" ? "B" : "A";
    const tampered = `${jwt.slice(0, -2)}${last}${jwt.at(-1)}`;
    await expect(authenticate(request(tampered))).rejects.toThrow("signature");
    const other = await token("bob", t0 / 1000 + 3599);
    expect((await authenticate(request(other))).subject).toBe("bob");
    expect((await authenticate(request(jwt))).subject).toBe("ada");
    expect(verifications.count).toBe(3);
  });
});
