import type { BigNumberInput } from "@medusajs/framework/types"
import type { LedgerStatus } from "./rows"

/** What a prompt limit is counted per. */
export type PromptLimitName = "phone" | "payment_collection" | "client"

/** A page of a list (defaults: 50 from the start). */
export type Page = { take?: number; skip?: number }

export type PushInput = {
  sessionId: string
  /** Medusa's payment collection (one per cart checkout), when the provider could learn it */
  paymentCollectionId: string | null
  amount: BigNumberInput
  currencyCode: string
  phone: unknown
}

export type LedgerFilters = {
  status?: LedgerStatus[]
  unmatched?: boolean
  /** not yet refunded in full */
  uncleared?: boolean
  ids?: string[]
  needsAttention?: boolean
  sessionIds?: string[]
  paymentCollectionIds?: string[]
  phone?: string
  receipt?: string
  createdFrom?: Date
  createdTo?: Date
}

export type PromptAllowanceInput = {
  /** Normalised MSISDN (2547XXXXXXXX), or null when the request carries no valid phone. */
  phone: string | null
  paymentCollectionId: string
  /** `req.ip`; null skips the client limit. */
  clientIp: string | null
}

export type PromptAllowance =
  | { allowed: true }
  | { allowed: false; limit: PromptLimitName; retryAfterSeconds: number }
