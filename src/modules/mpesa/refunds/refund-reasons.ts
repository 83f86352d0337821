/**
 * Daraja's reversal result codes in a merchant's words: what happened and
 * what to do. Anything not listed is shown with Daraja's own description.
 */
const REASONS: Record<string, string> = {
  "1": "Your M-Pesa business account balance cannot cover the reversal. Top the account up, then refund again.",
  "2001": "M-Pesa refused the initiator: check the initiator name and password in Settings → M-Pesa (the password must be encrypted with Safaricom's certificate for this environment, and the user needs the Org Reversals Initiator role).",
  "R000002": "M-Pesa does not know this receipt on your shortcode, so it cannot reverse it. Check the receipt in the M-Pesa Org portal.",
  "R000001": "M-Pesa says this payment had already been reversed.",
  "SFC_IC0003": "The initiator is not allowed to reverse payments: give it the Org Reversals Initiator role in the M-Pesa Org portal.",
}

export function reversalFailureReason(code: string, description: string | null): string {
  const known = REASONS[code]
  if (known) return known
  const desc = (description ?? "").trim().replace(/\.$/, "")
  return `M-Pesa did not reverse the payment: ${desc || "no reason given"} (ResultCode ${code}).`
}

export const REFUND_STATUS_LABELS = {
  reversal: {
    sending: "Sending the reversal to M-Pesa",
    requested: "Waiting for M-Pesa to confirm the reversal",
    unknown: "Reversal outcome unknown; checking with M-Pesa",
    completed: "Reversed",
    failed: "Reversal failed",
  },
  outside: {
    sending: "Being recorded",
    requested: "Being recorded",
    unknown: "Being recorded",
    completed: "Refunded outside M-Pesa Express",
    failed: "Not recorded",
  },
} as const
