import { useEffect, useState } from "preact/hooks";

/** The console's screens live in the URL's hash (#/tokens), so token-admin serves one page. */
export function useRoute(): string[] {
  const read = () => location.hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onChange = () => setRoute(read());
    addEventListener("hashchange", onChange);
    return () => removeEventListener("hashchange", onChange);
  }, []);
  return route;
}

/** A link target for a screen. */
export const href = (...parts: string[]) => `#/${parts.map(encodeURIComponent).join("/")}`;
