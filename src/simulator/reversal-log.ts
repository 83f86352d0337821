/**
 * Every Reversal request the simulator acknowledged, by its OriginatorConversationID, with what became of
 * it. Transaction Status by OriginalConversationID answers from here, so a client whose Result never came
 * (lost_result, queue_timeout) can find out whether its reversal happened, as it must against real Daraja.
 */
import type { ReversalOutcome } from "./faults"
import type { PaidTransaction } from "./ledger"

export interface ReversalTransaction {
  /** The reversal's own M-Pesa transaction id (a receipt like the payment's). */
  transactionId: string
  /** Nairobi `YYYYMMDDHHmmss`. */
  completedAt: string
  /** The payment as it was before this reversal. */
  payment: PaidTransaction
}

export interface ReversalRecord {
  originatorConversationId: string
  conversationId: string
  /** The receipt the request asked to reverse. */
  transactionId: string
  /** As requested (the simulator reverses the whole payment whatever the Amount). */
  amount: number
  receiverParty: string
  /** The reversalOutcome fault switch in force when the request arrived. */
  reversalOutcome: ReversalOutcome
  /** True when the payment was reversed (the ledger says so), whether or not anyone was told. */
  processed: boolean
  /** The reversal M-Pesa made; null unless processed. */
  reversed: ReversalTransaction | null
  /** What M-Pesa decided; both null when the request timed out in the queue and was never decided. */
  resultCode: number | string | null
  resultDesc: string | null
  /** Where the outcome went: ResultURL, QueueTimeOutURL, or nowhere (lost_result). */
  delivery: "result_url" | "queue_timeout_url" | "none"
  /** ISO time the request was acknowledged. */
  receivedAt: string
}

export class ReversalLog {
  private readonly byConversation = new Map<string, ReversalRecord>()

  record(entry: ReversalRecord): void {
    this.byConversation.set(entry.originatorConversationId, entry)
  }

  find(originatorConversationId: string): ReversalRecord | undefined {
    const entry = this.byConversation.get(originatorConversationId)
    return entry ? copy(entry) : undefined
  }

  /** Oldest first. */
  list(): ReversalRecord[] {
    return [...this.byConversation.values()].map(copy)
  }

  clear(): void {
    this.byConversation.clear()
  }
}

function copy(entry: ReversalRecord): ReversalRecord {
  return { ...entry, reversed: entry.reversed ? { ...entry.reversed, payment: { ...entry.reversed.payment } } : null }
}
