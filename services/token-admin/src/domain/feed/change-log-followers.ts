/**
 * A follower of change_log besides the validators (webhook delivery,
 * notifications): pruning keeps every row one of them has not passed. A
 * follower keeping its cursor in its own table plugs in here; one keeping it in
 * change_follower (any kind but "validator") is counted without this.
 */
export interface ChangeLogFollower {
  /** For logs: which follower holds the horizon back. */
  readonly name: string;
  /** The highest seq it has passed: rows at or below it may go. Undefined: it holds nothing back. */
  passedSeq(): Promise<bigint | undefined>;
}

/** The followers the pruner asks, registered as features start. */
export class ChangeLogFollowers {
  private readonly followers = new Set<ChangeLogFollower>();

  /** Registers `follower`; returns the function that deregisters it. */
  add(follower: ChangeLogFollower): () => void {
    this.followers.add(follower);
    return () => this.followers.delete(follower);
  }

  /** Each follower's position, lowest first; a follower that fails to answer throws (then nothing is pruned). */
  async positions(): Promise<{ name: string; seq: bigint }[]> {
    const read = await Promise.all([...this.followers].map(async (f) => ({ name: f.name, seq: await f.passedSeq() })));
    return read.filter((p): p is { name: string; seq: bigint } => p.seq !== undefined).sort((a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0));
  }
}
