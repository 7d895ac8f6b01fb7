/** Password hashing as the domain needs it; argon2id in production (see crypto/argon2-passwords.ts). */
export interface Passwords {
  hash(password: string): Promise<string>;
  /** False for a wrong password; never throws for a mismatch. */
  verify(hash: string, password: string): Promise<boolean>;
  /** Costs what a real verify costs, so an unknown user takes as long as a wrong password. */
  verifyNothing(password: string): Promise<void>;
}

/** Passwords must be at least this long; longer than the maximum is refused before hashing. */
export const minPasswordLength = 12;
export const maxPasswordLength = 256;
