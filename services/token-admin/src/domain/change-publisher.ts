/** Where committed changes are announced, after commit; validators also poll, so a lost publish costs one poll. */
export interface ChangePublisher {
  /** Publishes a committed ChangeEvent, serialized as change_log stores it. */
  publishChange(event: Uint8Array): Promise<void>;
}
