/**
 * Defence in depth: the client never builds messages from secrets, but Daraja (or a proxy, or a simulator)
 * could echo request values back in `errorMessage`. Every server-supplied text that ends up in an error or a
 * log line passes through here with the secrets of that call.
 */
export const REDACTED = "[redacted]"

export function redactSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text
  // Longest first so a secret containing another secret is removed whole.
  const list = secrets.filter((s): s is string => typeof s === "string" && s.length >= 4).sort((a, b) => b.length - a.length)
  for (const secret of list) out = out.split(secret).join(REDACTED)
  return out
}
