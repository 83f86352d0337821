import { DarajaValidationError } from "./errors"
import { parseKenyanPhone, PHONE_RULE } from "./phone-rules"

export { maskPhone } from "./phone-rules"

/** Normalise to the 2547XXXXXXXX / 2541XXXXXXXX form Daraja wants in PartyA and PhoneNumber. */
export function normalizeKenyanPhone(input: string): string {
  const msisdn = parseKenyanPhone(input)
  if (!msisdn) throw new DarajaValidationError("phone", PHONE_RULE)
  return msisdn
}
