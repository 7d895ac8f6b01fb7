import argon2 from "argon2";
import { TesseraError } from "@tessera/shared/errors/tessera-error";
import type { Passwords } from "../domain/access/passwords.js";

/** How many argon2 computations of one kind may run at once, and wait. */
export interface HashingBound {
  readonly maxConcurrent: number;
  readonly maxQueued: number;
}

export interface PasswordBounds {
  /** Verifying at sign-in. */
  readonly signIn: HashingBound;
  /** Hashing a new password (CreatePrincipal, UpdatePrincipal). */
  readonly setting: HashingBound;
}

/**
 * Two cores: two sign-ins and one password change at a time use three of libuv's
 * four threads, and a burst of one kind never takes the other's turn.
 */
export const defaultPasswordBounds: PasswordBounds = {
  signIn: { maxConcurrent: 2, maxQueued: 32 },
  setting: { maxConcurrent: 1, maxQueued: 8 },
};

/** Runs work at most `maxConcurrent` at a time with at most `maxQueued` waiting; beyond that, resource_exhausted with `busy`. */
function boundedRunner({ maxConcurrent, maxQueued }: HashingBound, busy: string) {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(work: () => Promise<T>): Promise<T> => {
    if (running >= maxConcurrent) {
      if (waiting.length >= maxQueued) throw new TesseraError("resource_exhausted", busy);
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
}

/**
 * argon2id with the library's defaults (64 MiB, t=3, p=4: ~115 ms a hash here).
 * Sign-in verification and password setting each have a bound of their own,
 * so a burst of either cannot exhaust memory or starve the event loop, and
 * cannot starve the other; beyond its bound a caller is told to retry.
 */
export function createArgon2Passwords(bounds: PasswordBounds = defaultPasswordBounds): Passwords {
  const signIn = boundedRunner(bounds.signIn, "too many sign-ins at once; retry shortly");
  const setting = boundedRunner(bounds.setting, "too many password changes at once; retry shortly");
  // A real hash to verify against when the user does not exist: same cost, always false.
  const decoy = argon2.hash("decoy password that matches nothing", { type: argon2.argon2id });
  return {
    hash: (password) => setting(() => argon2.hash(password, { type: argon2.argon2id })),
    verify: (hash, password) => signIn(() => argon2.verify(hash, password).catch(() => false)),
    verifyNothing: async (password) => {
      const hash = await decoy;
      await signIn(() => argon2.verify(hash, password).catch(() => false));
    },
  };
}
