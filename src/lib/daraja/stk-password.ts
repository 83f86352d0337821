/**
 * The STK `Password` field: base64(shortcode + passkey + timestamp). The timestamp must be the very same string
 * sent as `Timestamp`, or Daraja answers 500.001.1001 "Wrong credentials". The result embeds the passkey,
 * so treat it as a secret (never log it).
 */
export function stkPassword(shortcode: string, passkey: string, timestamp: string): string {
  return Buffer.from(`${shortcode}${passkey}${timestamp}`, "utf8").toString("base64")
}
