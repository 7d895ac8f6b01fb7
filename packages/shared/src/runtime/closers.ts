/** Something opened that must be closed; errors while closing are the closer's to report. */
export type Closer = () => unknown;

/**
 * What a start has opened so far, closed in reverse order: on the way out, or at
 * once when the start fails half-way, so a failed start leaves nothing listening.
 */
export class Closers {
  private readonly closers: Closer[] = [];

  /** Runs a start with a fresh Closers; if it throws, whatever it opened is closed before the error goes on. */
  static async starting<T>(start: (closers: Closers) => Promise<T>): Promise<T> {
    const closers = new Closers();
    try {
      return await start(closers);
    } catch (err) {
      await closers.closeAll();
      throw err;
    }
  }

  /** Returns `value`, remembering how to close it. */
  add<T>(value: T, close: (value: T) => unknown): T {
    this.closers.push(() => close(value));
    return value;
  }

  /** Runs every closer, newest first; one that fails does not stop the others. */
  async closeAll(): Promise<void> {
    for (const close of this.closers.splice(0).reverse()) {
      try {
        await close();
      } catch {
        // Closing is best effort: the process is on its way out or the start already failed.
      }
    }
  }
}
