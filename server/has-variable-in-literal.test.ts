import { parse } from "graphql";
import { describe, expect, it } from "vitest";
import { syncBatchDocument } from "../test-utils/test-server.ts";
import { hasVariableInLiteral } from "./has-variable-in-literal.ts";

describe("hasVariableInLiteral", () => {
  it.each([
    ["the client's document: the input is one variable", syncBatchDocument, false],
    ["no variable at all", "{ syncLimits { maxOperations } }", false],
    ["a variable as an argument", "query($a: ID!) { f(a: $a) }", false],
    ["inside a JSON object literal", "mutation($x: JSON) { f(data: { a: $x }) }", true],
    ["inside a list literal", "mutation($x: JSON) { f(a: [1, $x]) }", true],
    [
      "as a field of an input object literal",
      "mutation($x: JSON) { f(input: { data: $x }) }",
      true,
    ],
  ])("%s", (_name, source, expected) => {
    expect(hasVariableInLiteral(parse(source))).toBe(expected);
  });
});
