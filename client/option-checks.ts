import { shownValue } from "./call-options.ts";
import { SyncClientError } from "./sync-client-error.ts";

/** The longest delay Node's timers keep (a longer one fires after 1 ms). */
export const maxTimerMs = 2_147_483_647;

/** The INVALID_OPTION error of `createSyncClient` for the option `name`. */
export const invalid = (name: string, message: string): SyncClientError =>
  new SyncClientError("INVALID_OPTION", `createSyncClient: option "${name}" ${message}`);

/** An integer option from `min` to `max`, `fallback` when not given; INVALID_OPTION otherwise. */
export function integerOption(
  name: string,
  value: unknown,
  fallback: number,
  { min = 0, max = Number.MAX_SAFE_INTEGER } = {},
): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(name, `must be an integer from ${min} to ${max}, got ${shownValue(value)}`);
  }
  return value;
}
