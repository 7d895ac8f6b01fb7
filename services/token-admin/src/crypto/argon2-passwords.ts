import argon2 from "argon2";
import { TesseraError } from "@tessera/shared/errors/tessera-error";
import type { Passwords } from "../domain/access/passwords.js";

/**
 * argon2id with the library's defaults (64 MiB, t=3, p=4: ~115 ms a hash here).
 * At most `maxConcurrent` run at once and at most `maxQueued` wait, so a burst of
 * sign-ins cannot exhaust memory or starve the event loop; beyond that the
 * caller is told to retry.
 */
export function createArgon2Passwords(maxConcurrent = 2, maxQueued = 32): Passwords {
  let running = 0;
  const waiting: (() => void)[] = [];
  const limited = async <T>(work: () => Promise<T>): Promise<T> => {
    if (running >= maxConcurrent) {
      if (waiting.length >= maxQueued) throw new TesseraError("resource_exhausted", "too many sign-ins at once; retry shortly");
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
    running++;
    try {
      return await work();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
  // A real hash to verify against when the user does not exist: same cost, always false.
  const decoy = argon2.hash("decoy password that matches nothing", { type: argon2.argon2id });
  return {
    hash: (password) => limited(() => argon2.hash(password, { type: argon2.argon2id })),
    verify: (hash, password) => limited(() => argon2.verify(hash, password).catch(() => false)),
    verifyNothing: async (password) => {
      const hash = await decoy;
      await limited(() => argon2.verify(hash, password).catch(() => false));
    },
  };
}
