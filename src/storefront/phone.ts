import { maskPhone, parseKenyanPhone, PHONE_RULE } from "../lib/daraja/phone-rules"

export { maskPhone, parseKenyanPhone }

export type PhoneCheck = { ok: true; msisdn: string } | { ok: false; message: string }

/**
 * The same rule the server applies before it sends a prompt (one implementation:
 * src/lib/daraja/phone-rules.ts), with the sentence shown under the phone field.
 */
export function checkPhone(input: string): PhoneCheck {
  if (!input || !input.trim()) {
    return { ok: false, message: "Enter the M-Pesa phone number to pay with, such as 0712345678." }
  }
  const msisdn = parseKenyanPhone(input)
  return msisdn ? { ok: true, msisdn } : { ok: false, message: `The phone number ${PHONE_RULE}.` }
}
