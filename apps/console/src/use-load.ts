import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { errorMessage } from "./api.js";

export interface Loaded<T> {
  readonly data: T | undefined;
  readonly error: string | undefined;
  readonly loading: boolean;
  /** Loads again with the same inputs. */
  reload(): void;
}

/**
 * Server data for a screen: runs `load` whenever `deps` change (and on reload),
 * keeping only the newest answer when calls overlap.
 */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({ loading: true });
  const [round, setRound] = useState(0);
  const latest = useRef(0);
  // Inputs changed but the effect has not run yet: the data on screen is for the old ones.
  const loadedFor = useRef<readonly unknown[] | undefined>(undefined);
  const all = [...deps, round];
  const stale = loadedFor.current === undefined || loadedFor.current.length !== all.length || all.some((d, i) => !Object.is(d, loadedFor.current![i]));
  useEffect(() => {
    loadedFor.current = all;
    const call = ++latest.current;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => call === latest.current && setState({ data, loading: false }),
      (err: unknown) => call === latest.current && setState((s) => ({ data: s.data, error: errorMessage(err), loading: false })),
    );
  }, all);
  const reload = useCallback(() => setRound((r) => r + 1), []);
  return { data: state.data, error: state.error, loading: state.loading || stale, reload };
}
