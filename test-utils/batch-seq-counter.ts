/**
 * The `batchSeq` a test sends with a batch, as a device keeps it: the one given before to the same
 * clientId and batchId (a repeat is a replay), else one more than the highest given to that
 * clientId; an explicit `batchSeq` wins and raises the counter.
 */
export type BatchSeqCounter = (clientId: string, batchId: string, batchSeq?: number) => number;

/** A new {@link BatchSeqCounter}, for one server's requests. */
export function batchSeqCounter(): BatchSeqCounter {
  const given = new Map<string, number>();
  const highest = new Map<string, number>();
  return (clientId, batchId, batchSeq) => {
    const key = JSON.stringify([clientId, batchId]);
    const seq = batchSeq ?? given.get(key) ?? (highest.get(clientId) ?? 0) + 1;
    given.set(key, seq);
    if (Number.isSafeInteger(seq)) highest.set(clientId, Math.max(highest.get(clientId) ?? 0, seq));
    return seq;
  };
}
