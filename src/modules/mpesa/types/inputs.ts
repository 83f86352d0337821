import type { BigNumberInput } from "@medusajs/framework/types"
import type { LedgerStatus } from "./rows"

/** What a prompt limit is counted per. */
export type PromptLimitName = "phone" | "payment_collection" | "client"

/** A page of a list (defaults: 50 from the start). */
export type Page = { take?: number; skip?: number }

export type PushInput = {
  sessionId: string
  /**
   * Medusa's payment collection (one per cart checkout), from an in-process
   * caller that knows it. The provider leaves it out: the module takes it from
   * the store request's URL or from `collectionToken` (callbacks/collection-token.ts).
   */
  paymentCollectionId?: string | null
  /** `mpesa_collection_token` from the session's data: a collection this module signed, never trusted unsigned */
  collectionToken?: unknown
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
