import { describe, expect, it } from "vitest";
import { scopeValue } from "./table-scope.ts";

describe("scopeValue: a column value as scope text", () => {
  it("gives an integer's decimal text", () => {
    expect(scopeValue(7)).toBe("7");
    expect(scopeValue(-3)).toBe("-3");
    expect(scopeValue(0)).toBe("0");
    expect(scopeValue(-0)).toBe("0");
    expect(scopeValue(Number.MAX_SAFE_INTEGER)).toBe("9007199254740991");
    expect(scopeValue(12_345_678_901_234_567_890n)).toBe("12345678901234567890");
  });

  it("gives a text itself, so 7 and '7' name one scope", () => {
    expect(scopeValue("team-a")).toBe("team-a");
    expect(scopeValue("7")).toBe(scopeValue(7));
    expect(scopeValue("")).toBe("");
  });

  it("gives nothing for anything else", () => {
    for (const value of [null, undefined, 1.5, Number.NaN, Infinity, 2 ** 53, true, {}, [1]]) {
      expect(scopeValue(value)).toBeUndefined();
    }
  });
});
