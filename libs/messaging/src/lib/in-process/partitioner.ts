/**
 * Picks a key's partition: the same key always lands on the same one, which is what keeps its messages
 * in order. FNV-1a is enough here; only the in-process bus uses it (Kafka partitions by murmur2).
 */
export function partitionOf(key: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i += 1) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % partitions;
}
