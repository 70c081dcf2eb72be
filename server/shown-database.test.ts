import { describe, expect, it } from "vitest";
import { shownDatabase } from "./shown-database.ts";

describe("shownDatabase", () => {
  it("shows a URL without a password as given, a relative file path relative", () => {
    for (const url of [
      "file:data/server.db",
      "file:/var/lib/sync/server.db",
      "libsql://db.example.com",
      "postgres://sync@127.0.0.1:5432/sync",
    ]) {
      expect(shownDatabase(url)).toBe(url);
    }
  });

  it("hides a password in the authority or in the query, whatever its characters", () => {
    expect(shownDatabase("postgres://sync:s3cret@db:5432/sync")).toBe(
      "postgres://sync:***@db:5432/sync",
    );
    expect(shownDatabase("postgresql://sync:p%40ss%2Fw0rd@db/sync?sslmode=require")).toBe(
      "postgresql://sync:***@db/sync?sslmode=require",
    );
    const inQuery = shownDatabase("postgres://db/sync?user=sync&PASSWORD=s3cret&sslmode=require");
    expect(inQuery).not.toContain("s3cret");
    expect(inQuery).toContain("sslmode=require");
  });

  it("hides a password in a text that does not parse as a URL", () => {
    for (const text of [
      "postgres://sync:s3cret@db:port/sync",
      "postgres://sync:s3c@ret@db:x/sync",
    ]) {
      const shown = shownDatabase(text);
      expect(shown).not.toContain("s3c");
      expect(shown).toContain("***");
    }
    expect(shownDatabase("not a url?password=s3cret")).toBe("not a url?password=***");
  });
});
