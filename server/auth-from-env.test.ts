import { describe, expect, it } from "vitest";
import { authFromEnv } from "./auth-from-env.ts";

const secret = "a-test-secret-of-at-least-32-characters!";

describe("npm start's authentication from the environment", () => {
  it("is open mode on loopback without a secret or JWKS", () => {
    expect(authFromEnv({}, "127.0.0.1")).toEqual({ mode: "open" });
    expect(authFromEnv({}, "localhost")).toEqual({ mode: "open" });
  });

  it("refuses open mode on another address unless SYNC_AUTH=none says so", () => {
    expect(() => authFromEnv({}, "0.0.0.0")).toThrow(/refusing to listen on 0.0.0.0 in open mode/);
    expect(authFromEnv({ SYNC_AUTH: "none" }, "0.0.0.0")).toEqual({ mode: "open" });
  });

  it("reads the token settings", () => {
    expect(
      authFromEnv(
        {
          SYNC_JWT_SECRET: secret,
          SYNC_JWT_ISSUER: "https://auth.example",
          SYNC_JWT_AUDIENCE: "sync, admin",
        },
        "0.0.0.0",
      ),
    ).toEqual({
      mode: "token",
      auth: { secret, issuer: "https://auth.example", audience: ["sync", "admin"] },
    });
    expect(authFromEnv({ SYNC_JWKS_URL: "https://auth.example/jwks.json" }, "::1")).toEqual({
      mode: "token",
      auth: { jwksUrl: "https://auth.example/jwks.json" },
    });
  });

  it("refuses settings that contradict each other", () => {
    expect(() => authFromEnv({ SYNC_AUTH: "none", SYNC_JWT_SECRET: secret }, "h")).toThrow(
      /contradicts/,
    );
    expect(() => authFromEnv({ SYNC_AUTH: "token" }, "127.0.0.1")).toThrow(/needs/);
    expect(() => authFromEnv({ SYNC_AUTH: "yes" }, "127.0.0.1")).toThrow(/SYNC_AUTH must be/);
  });
});
