import { packedToken } from "@tessera/shared/snapshot/packed-token-layout";
import type { TokenFacts } from "./replica.js";

const { digestBytes, uuidBytes } = packedToken;

/** 16 uuid bytes as the canonical text. */
function uuidText(bytes: Buffer, at: number): string {
  const hex = bytes.toString("hex", at, at + uuidBytes);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

type WritableFacts = { -readonly [K in keyof TokenFacts]: TokenFacts[K] };

/**
 * Reads packed token rows one at a time into the same facts object (a million
 * short-lived objects would cost the young generation more than the reading).
 * The target copies what it keeps; scope lists come from its shared lists, by
 * their packed text, so a list seen before costs no split.
 */
export class PackedTokenReader {
  readonly facts: WritableFacts = {
    id: "", digestKey: "", previousDigestKey: "", previousExpiresAt: 0, flags: 0, parentDigestKey: "",
    ownerId: "", organisationId: "", groupId: "", scopes: [], expiresAt: 0, createdAt: 0,
  };
  private readonly bytes: Buffer;
  private at = 0;

  constructor(packed: Uint8Array, private readonly scopeList: (text: string) => readonly string[]) {
    this.bytes = Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength);
  }

  /** Reads the next token into `facts`; false at the end. */
  next(): boolean {
    const bytes = this.bytes;
    const at = this.at;
    if (at >= bytes.length) return false;
    const facts = this.facts;
    facts.digestKey = bytes.toString("latin1", at, at + digestBytes);
    facts.id = uuidText(bytes, at + packedToken.id);
    facts.ownerId = uuidText(bytes, at + packedToken.ownerId);
    facts.organisationId = uuidText(bytes, at + packedToken.organisationId);
    const group = at + packedToken.groupId;
    facts.groupId = bytes.readBigUInt64BE(group) === 0n && bytes.readBigUInt64BE(group + 8) === 0n ? "" : uuidText(bytes, group);
    facts.expiresAt = bytes.readInt32BE(at + packedToken.expiresAt);
    facts.createdAt = bytes.readInt32BE(at + packedToken.createdAt);
    facts.previousExpiresAt = bytes.readInt32BE(at + packedToken.previousExpiresAt);
    facts.flags = bytes.readUInt16BE(at + packedToken.flags);
    this.at = at + packedToken.variable;
    facts.previousDigestKey = this.optional();
    facts.parentDigestKey = this.optional();
    const scopesLength = bytes.readUInt16BE(this.at);
    this.at += 2;
    facts.scopes = this.scopeList(this.text(scopesLength));
    return true;
  }

  private text(length: number): string {
    const value = this.bytes.toString("latin1", this.at, this.at + length);
    this.at += length;
    return value;
  }

  private optional(): string {
    const length = this.bytes[this.at++]!;
    return length === 0 ? "" : this.text(length);
  }
}
