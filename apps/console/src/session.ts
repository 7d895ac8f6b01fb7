// The credential lives in sessionStorage only: gone when the tab closes, never a cookie.
const key = "tessera.session";

export interface Session {
  readonly token: string;
  /** Epoch ms; unset for a pasted token, which may not expire. */
  readonly expiresAt?: number;
}

export function loadSession(): Session | undefined {
  try {
    const saved = sessionStorage.getItem(key);
    return saved ? (JSON.parse(saved) as Session) : undefined;
  } catch {
    return undefined;
  }
}

export function saveSession(session: Session): void {
  sessionStorage.setItem(key, JSON.stringify(session));
}

export function clearSession(): void {
  sessionStorage.removeItem(key);
}
