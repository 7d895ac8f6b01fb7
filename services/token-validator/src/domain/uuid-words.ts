// Token ids are uuids, held as 16 bytes (four little-endian words) rather than
// 36-character strings: the text is made again only when an answer carries it.

const hexDigits = Buffer.from("0123456789abcdef", "latin1");
/** Where each byte's two hex digits go in the 36-character text. */
const textOffsets = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
const text = Buffer.from("00000000-0000-0000-0000-000000000000", "latin1");

/** Four words (16 bytes, little-endian within each word) as a uuid's canonical text. */
export function formatUuid(words: readonly number[]): string {
  for (let i = 0; i < 16; i++) {
    const byte = (words[i >> 2]! >>> ((i & 3) * 8)) & 0xff;
    const at = textOffsets[i]!;
    text[at] = hexDigits[byte >> 4]!;
    text[at + 1] = hexDigits[byte & 0xf]!;
  }
  return text.toString("latin1");
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A uuid's text as its 16 bytes. Throws on anything else: every token id is a uuid. */
export function parseUuid(id: string): Uint8Array {
  if (!uuidPattern.test(id)) throw new Error(`not a uuid: ${JSON.stringify(id.slice(0, 40))}`);
  return Buffer.from(id.replaceAll("-", ""), "hex");
}
