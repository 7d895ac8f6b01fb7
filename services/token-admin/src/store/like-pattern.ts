/** A LIKE/ILIKE pattern matching `text` as a plain substring: its wildcards escaped. */
export function substringPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
