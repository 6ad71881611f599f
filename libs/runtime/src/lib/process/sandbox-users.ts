/**
 * Where the users of stored functions start, high above the ranges distributions hand to people and
 * to subordinate ids (/etc/subuid); they end below FALLBACK_UID.
 */
export const FIRST_SANDBOX_UID = 1_900_000_000;
/** Where the users handed out for the life of a process start, below 2^31 as many tools need. */
const FALLBACK_UID = 2_100_000_000;

/**
 * The user a function runs as when its version carries none (FunctionSpec.uid, which the functions
 * service stores so that a function keeps its user across restarts): one per function identity, handed
 * out in order for the life of this process, from a range of its own above the stored ones.
 */
export class SandboxUsers {
  private readonly users = new Map<string, number>();
  private next = FALLBACK_UID;

  of(identity: string): number {
    let uid = this.users.get(identity);
    if (uid === undefined) {
      uid = this.next;
      this.next += 1;
      this.users.set(identity, uid);
    }
    return uid;
  }
}
