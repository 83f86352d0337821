import { MedusaError } from "@medusajs/framework/utils"
import { toWholeShillings } from "./amount"
import { MESSAGES } from "./customer-messages"
import { MPESA_PAYMENT_CAPTURED } from "./events"
import type { PushInitiation } from "./push-initiation"
import type { ConfigRuntime } from "./settings/config-runtime"
import type { SettlementContext } from "./settlement-context"
import type { LedgerRow, PushInput } from "./types"

/** A push request whose payment collection the service has settled (null: unknown, one prompt per session). */
export type SessionStartInput = Omit<PushInput, "paymentCollectionId" | "collectionToken"> & { paymentCollectionId: string | null }

/**
 * What a new Medusa payment session gets: money an admin attached to its
 * cart, money its cart already paid (no second prompt), or an STK Push
 * (push-initiation.ts). Whatever it gets, the session's answer is noted so
 * completion waits for Medusa to write it (session-readiness.ts).
 */
export class SessionStart {
  constructor(
    private readonly ctx: Pick<SettlementContext, "desk" | "ledger" | "logger" | "now" | "emit">,
    private readonly initiation: PushInitiation,
    private readonly runtime: ConfigRuntime
  ) {}

  async start(input: SessionStartInput): Promise<LedgerRow> {
    const amount = toWholeShillings(input.amount).whole
    // Money an admin attached to this cart pays for the session: no prompt at all.
    const attached = input.paymentCollectionId ? await this.ctx.desk.takeAttached(input.paymentCollectionId, input.sessionId, amount) : null
    if (attached) {
      // Its order is due now: the attach workflow completes the cart, the completion sweep if that workflow dies.
      this.ctx.logger.info(`M-Pesa: unmatched payment ${attached.id} attached to session ${input.sessionId}`)
      return this.answered(attached, input.sessionId)
    }
    // The cart is already paid and its order not made yet (a second Pay press while the order is
    // being created, or Medusa re-creating the session in a rollback): no second prompt, the new
    // session takes the money and the completion goes on with it.
    const paid = input.paymentCollectionId
      ? await this.ctx.ledger.takePaidForCollection(input.paymentCollectionId, input.sessionId, amount, this.ctx.now())
      : null
    if (paid) {
      this.ctx.logger.info(`M-Pesa: session ${input.sessionId} took over ${paid.id}, already paid for its cart; no new prompt sent`)
      await this.ctx.emit(MPESA_PAYMENT_CAPTURED, paid.id)
      return this.answered(paid, input.sessionId)
    }
    // Settings saved a moment ago (in any process) apply to this very push.
    await this.runtime.refresh(true)
    this.assertUsableForShopper(input.sessionId)
    return this.answered(await this.initiation.initiate(input), input.sessionId)
  }

  /**
   * The store API must not tell shoppers which settings or MPESA_* variables
   * are missing: the detail goes to the server log, the shopper gets
   * MESSAGES.unavailable (admin routes report the detail themselves).
   */
  private assertUsableForShopper(sessionId: string): void {
    try {
      this.runtime.assertUsable()
    } catch (e) {
      this.ctx.logger.error(`M-Pesa: payment session ${sessionId} refused, no prompt sent: ${(e as Error).message}`)
      throw new MedusaError(MedusaError.Types.UNEXPECTED_STATE, MESSAGES.unavailable)
    }
  }

  /** Notes that Medusa now has our answer for the session (completion waits for Medusa to write it). */
  private async answered(row: LedgerRow, sessionId: string): Promise<LedgerRow> {
    // Only for the session the row belongs to: a refused or moved push has nothing to wait for.
    if (row.payment_session_id === sessionId) {
      await this.ctx.ledger.markSessionAnswered(row.id, sessionId, this.ctx.now())
    }
    return row
  }
}
