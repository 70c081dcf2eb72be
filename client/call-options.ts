import { describeValue } from "../schema/index.ts";
import { SyncClientError } from "./sync-client-error.ts";

// The options of the client's calls (`send()`, `receive()`, `sync()`, `startAutoSync()`), checked
// before the call does anything: an app written in JavaScript has no compiler to tell it that an
// option is misspelt or of the wrong kind, and a wrong one must not be ignored nor fail half-way.

/** A value as an option's error shows it: a number as it is (NaN, Infinity too), else described. */
export const shownValue = (value: unknown): string =>
  typeof value === "number" ? String(value) : describeValue(value);

/** Where options are checked: the call, and the path of the object that holds them (`send.`). */
export interface OptionsAt {
  readonly call: string;
  readonly at?: string;
}

/** The INVALID_OPTION error of the option `name` at `where`. */
export const invalidOption = (where: OptionsAt, name: string, message: string): SyncClientError =>
  new SyncClientError(
    "INVALID_OPTION",
    `${where.call}: option "${where.at ?? ""}${name}" ${message}`,
  );

/**
 * The options object at `where` (undefined: none): a plain object whose options are all among
 * `known`. Returns it, typed as the caller's options.
 */
export function callOptions<T extends object>(
  where: OptionsAt,
  options: unknown,
  known: readonly (keyof T & string)[],
): T {
  if (options === undefined) return {} as T;
  const what = where.at ? `option "${where.at.slice(0, -1)}"` : "its options";
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new SyncClientError(
      "INVALID_OPTION",
      `${where.call}: ${what} must be an object, got ${shownValue(options)}`,
    );
  }
  for (const name of Object.keys(options)) {
    if (!(known as readonly string[]).includes(name)) {
      throw new SyncClientError(
        "INVALID_OPTION",
        `${where.call}: unknown option "${where.at ?? ""}${name}" (${what} are ${known.join(", ")})`,
      );
    }
  }
  return options as T;
}

/** Checks that the option `name` is a function, when given. */
export function checkFunction(where: OptionsAt, name: string, value: unknown): void {
  if (value !== undefined && typeof value !== "function") {
    throw invalidOption(where, name, `must be a function, got ${shownValue(value)}`);
  }
}

/** Checks that the option `name` is a boolean, when given. */
export function checkBoolean(where: OptionsAt, name: string, value: unknown): void {
  if (value !== undefined && typeof value !== "boolean") {
    throw invalidOption(where, name, `must be true or false, got ${shownValue(value)}`);
  }
}

/** Checks that the option `signal` is an AbortSignal, when given. */
export function checkSignal(where: OptionsAt, value: unknown): void {
  if (value !== undefined && !(value instanceof AbortSignal)) {
    throw invalidOption(where, "signal", `must be an AbortSignal, got ${shownValue(value)}`);
  }
}
