/**
 * Equal values made once and shared, for values many holders repeat (a
 * principal's permissions, its organisation's id). Bounded: past `limit`
 * keys it starts again, so values no one holds any more cannot pile up over a
 * process's life; a value made again is equal, only no longer shared.
 */
export class SharedValues<V> {
  private readonly byKey = new Map<string, V>();
  constructor(private readonly limit = 4096) {}

  /** The value under `key`, made by `make` when none is held. */
  get(key: string, make: () => V): V {
    let value = this.byKey.get(key);
    if (value === undefined) {
      if (this.byKey.size >= this.limit) this.byKey.clear();
      value = make();
      this.byKey.set(key, value);
    }
    return value;
  }
}
