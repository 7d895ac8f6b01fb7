import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { StartupError } from "../runtime/startup-error.js";

/** A data folder held by this process until released. */
export interface DataDirLock {
  /** Removes the lock file if it is still ours. Idempotent. */
  release(): void;
}

/** A takeover guard older than this was left by a process that died in the middle of one. */
const abandonedTakeoverMs = 10_000;

function createExclusive(path: string, content: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, "wx", 0o600); // O_CREAT | O_EXCL: exactly one process creates it
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return true;
}

function holderOf(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, "utf8"), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined; // gone meanwhile, or not written yet
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** A start is synchronous here (it runs before anything listens); 20 ms lets the other process finish its write. */
function pause(): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
}

function removeIfAbandoned(path: string): void {
  try {
    if (Date.now() - statSync(path).mtimeMs > abandonedTakeoverMs) unlinkSync(path);
  } catch {
    // Gone already.
  }
}

/**
 * Takes the embedded data folder for this process: a `lock` file created with
 * O_EXCL holding our pid. A lock whose process is dead (killed, crashed) is
 * taken over; the takeover itself is guarded by a second O_EXCL file, so two
 * processes finding the same dead lock cannot both win. Throws a StartupError
 * naming the live holder's pid.
 */
export function lockDataDir(dir: string, pid: number = process.pid): DataDirLock {
  const path = join(dir, "lock");
  const guard = join(dir, "lock.takeover");
  for (let attempt = 0; attempt < 5; attempt++) {
    if (createExclusive(path, `${pid}\n`)) return heldLock(path, pid);
    const holder = holderOf(path);
    if (holder !== undefined && isAlive(holder)) {
      throw new StartupError(
        `data folder ${dir} is in use by process ${holder}: stop that process or set TESSERA_DATA_DIR to another folder (if no Tessera runs as ${holder}, delete ${path})`,
      );
    }
    if (holder === undefined) {
      // Being written this instant, or empty after a crash between create and write.
      removeIfAbandoned(path);
      pause();
      continue;
    }
    if (!createExclusive(guard, `${pid}\n`)) {
      removeIfAbandoned(guard);
      pause();
      continue;
    }
    try {
      // Still the dead holder's? Then it is ours to remove; otherwise someone took it over first.
      if (holderOf(path) === holder) unlinkSync(path);
    } finally {
      unlinkSync(guard);
    }
  }
  throw new StartupError(`data folder ${dir}: cannot take its lock (${path}): another process keeps taking it; set TESSERA_DATA_DIR or remove the file`);
}

function heldLock(path: string, pid: number): DataDirLock {
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off("exit", release);
    try {
      if (holderOf(path) === pid) unlinkSync(path);
    } catch {
      // Gone already.
    }
  };
  // A process that exits without closing (process.exit after a fatal error) still lets go.
  process.on("exit", release);
  return { release };
}
