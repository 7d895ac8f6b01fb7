/** The least estimated entropy a pepper must carry: as much as a 128-bit HMAC key. */
export const minPepperBits = 128;

/**
 * An estimate of a secret's entropy in bits: its length times the Shannon
 * entropy of its own character frequencies. Repetition and small alphabets cost
 * it dearly (32 × "a" scores 0, "abab…" 1 bit a character), while 32 random
 * bytes in base64 (`openssl rand -base64 32`) score about 200. It overrates
 * patterns over a varied alphabet, so it is a floor against mistakes, not proof of randomness.
 */
export function estimateEntropyBits(secret: string): number {
  const characters = [...secret];
  const counts = new Map<string, number>();
  for (const character of characters) counts.set(character, (counts.get(character) ?? 0) + 1);
  let bitsPerCharacter = 0;
  for (const count of counts.values()) {
    const p = count / characters.length;
    bitsPerCharacter -= p * Math.log2(p);
  }
  return bitsPerCharacter * characters.length;
}
