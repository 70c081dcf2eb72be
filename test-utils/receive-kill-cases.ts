import type { KillPoint } from "./receive-child.ts";

// The kill points of the receive-kill test (faults/receive-kill.test.ts): kills after chosen pages,
// at random moments of a run and during the apply, one process after another on one file.

/** One child run of a case: where it pauses (exact kills) and where it is killed. */
export interface Step {
  readonly kill: KillPoint;
  readonly pauseAt?: number;
}
/** A device file killed once or more (`steps`, in turn), then resumed in the test process. */
export interface KillCase {
  readonly name: string;
  readonly steps: readonly Step[];
}

/** The kill points, for a run of `total` pages; the random ones from `random`. */
export function killCases(total: number, random: () => number): KillCase[] {
  const between = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
  const middle = between(3, total - 3);
  const page = between(2, total - 4);
  const delay = between(0, 15);
  const exactly = (page: number, name: string): KillCase => ({
    name,
    steps: [{ pauseAt: page, kill: { afterPage: page, delayMs: 0 } }],
  });
  return [
    exactly(1, "after the 1st page staged"),
    exactly(middle, `after page ${middle} of ${total} staged`),
    exactly(total - 1, "with every page but the last staged"),
    // A kill at any moment of a run: while a page is read, staged, or told of.
    {
      name: `mid-run: ${delay} ms after page ${page}`,
      steps: [{ kill: { afterPage: page, delayMs: delay } }],
    },
    // The last page is staged and the apply of the whole run begins at once (it takes tens to
    // hundreds of milliseconds here; the latest kill may come after its commit, which is fine).
    ...[0, between(1, 5), between(5, 30), between(30, 90)].map((delayMs) => ({
      name: `during the apply: ${delayMs} ms after the last page`,
      steps: [{ kill: { afterPage: "last" as const, delayMs } }],
    })),
    // Pages staged by one process, more by the next, which is killed while it applies them all.
    {
      name: "during an apply that follows pages staged by a killed process",
      steps: [
        { pauseAt: 6, kill: { afterPage: 6, delayMs: 0 } },
        { kill: { afterPage: "last", delayMs: 0 } },
      ],
    },
  ];
}
