import { sanitizeAccountReference } from "../../lib/daraja"

/**
 * Expands the `accountReference` template shown on the shopper's phone.
 * `{ref}` is the last 8 characters of Medusa's payment session id (session ids
 * are far longer than Daraja's 12-character limit); everything is then
 * sanitised to what Daraja accepts.
 */
export function renderAccountReference(template: string, sessionId: string): string {
  const ref = sessionId.replace(/^payses_/, "").slice(-8).toUpperCase()
  return sanitizeAccountReference(template.replace(/\{ref\}/g, ref))
}
