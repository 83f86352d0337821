import { MedusaError } from "@medusajs/framework/utils"
import type { BigNumberInput } from "@medusajs/framework/types"
import { classifyDarajaError, normalizeKenyanPhone } from "../../lib/daraja"
import { renderAccountReference } from "./account-reference"
import { assertKes, toWholeShillings } from "./amount"
import { callbackUrlForPush } from "./callbacks/callback-url"
import { MESSAGES } from "./customer-messages"
import { errorSummary, toMedusaError } from "./error-mapping"
import type { SettlementContext } from "./settlement-context"
import type { LedgerRow } from "./types"
import type { SessionStartInput } from "./session-start"


/**
 * Sends the STK Push for a payment session: at most once per session, and
 * never while a prompt of the same payment collection, phone and amount may
 * still be paid — a re-created session (Medusa's rollback of a failed
 * "new session", a second Pay click) re-attaches to that push instead.
 */
export class PushInitiation {
  constructor(
    private readonly ctx: SettlementContext,
    private readonly applyWaitingCallbacks: (transactionId: string) => Promise<void>,
    /** Counts the prompt against the abuse limits, or throws (prompt-limits/); none in tests that build this alone. */
    private readonly admitPrompt: (push: { phone: string; paymentCollectionId: string | null }) => Promise<void> = async () => undefined
  ) {}

  async initiate(input: SessionStartInput): Promise<LedgerRow> {
    const config = this.ctx.config()
    if (!input.sessionId) {
      throw new MedusaError(MedusaError.Types.INVALID_DATA, "session_id: missing from the payment session data")
    }
    assertKes(input.currencyCode)
    const { whole, medusa } = toWholeShillings(input.amount)
    const phone = parsePhone(input.phone)

    const { own, open } = await this.ctx.ledger.findForInitiation({
      sessionId: input.sessionId,
      paymentCollectionId: input.paymentCollectionId,
      phone,
      amount: whole,
      now: this.ctx.now(),
    })
    if (own) {
      return own // Medusa retried the call for the same session: never push twice.
    }
    const reattached = open ? await this.reattach(input, open, phone, whole) : null
    if (reattached) {
      return reattached
    }

    // Counted here, where a prompt is about to reach Daraja, and nowhere earlier:
    // requests refused before this point (by Medusa or above) cost no allowance.
    await this.admitPrompt({ phone, paymentCollectionId: input.paymentCollectionId })

    const now = this.ctx.now()
    const { row, created } = await this.ctx.ledger.insertInitiating({
      payment_session_id: input.sessionId,
      payment_collection_id: input.paymentCollectionId,
      phone,
      amount: whole,
      medusa_amount: medusa,
      currency_code: "kes",
      account_reference: renderAccountReference(config.accountReference, input.sessionId),
      expires_at: new Date(now.getTime() + config.expiryMs),
    })
    if (!created) {
      return row
    }

    let accepted
    try {
      accepted = await this.ctx.daraja().stkPush({
        shortcode: config.shortcode,
        passkey: config.passkey,
        transactionType: config.transactionType,
        tillNumber: config.tillNumber,
        amount: whole,
        phone,
        callbackUrl: callbackUrlForPush(config, row.id),
        accountReference: row.account_reference,
        transactionDesc: config.transactionDesc,
      })
    } catch (e) {
      if (classifyDarajaError(e, { idempotent: false }) === "indeterminate") {
        this.ctx.logger.warn(
          `M-Pesa: STK Push for session ${input.sessionId} has an unknown outcome (${errorSummary(e)}); keeping it open until a callback or expiry settles it`
        )
        const kept = await this.ctx.settlements.transition(
          row.id,
          "indeterminate",
          { customer_message: MESSAGES.indeterminate },
          this.ctx.now()
        )
        return kept ?? (await this.ctx.ledger.findById(row.id)) ?? row
      }
      await this.ctx.ledger.deleteRefused(row.id)
      // Daraja's own words (secrets already redacted by the client) for the merchant's logs.
      this.ctx.logger.warn(`M-Pesa: STK Push for session ${input.sessionId} refused: ${errorSummary(e)}`)
      throw toMedusaError(e)
    }

    await this.ctx.settlements.transition(
      row.id,
      "pending",
      {
        checkout_request_id: accepted.checkoutRequestId,
        merchant_request_id: accepted.merchantRequestId,
        next_query_at: new Date(now.getTime() + config.firstQueryDelayMs),
      },
      this.ctx.now()
    )
    // A callback may have beaten the push response and been deferred: apply it now.
    await this.applyWaitingCallbacks(row.id)
    return (await this.ctx.ledger.findById(row.id)) ?? row
  }

  /**
   * A push of the same payment collection, phone and amount that may still
   * be paid takes the new session as its owner (compare-and-set, retried if
   * another re-creation moves it at the same moment).
   */
  private async reattach(input: SessionStartInput, first: LedgerRow, phone: string, amount: number): Promise<LedgerRow | null> {
    let open: LedgerRow | null = first
    for (let attempt = 0; attempt < 3 && open; attempt++) {
      const moved = await this.ctx.ledger.reattach(open.id, open.payment_session_id, input.sessionId, this.ctx.now())
      if (moved) {
        this.ctx.logger.info(
          `M-Pesa: session ${input.sessionId} re-attached to the open prompt ${open.id} (was ${open.payment_session_id ?? "detached"}); no new prompt sent`
        )
        return moved
      }
      // Another re-creation moved it at the same moment: look again.
      open = (
        await this.ctx.ledger.findForInitiation({
          sessionId: input.sessionId,
          paymentCollectionId: input.paymentCollectionId,
          phone,
          amount,
          now: this.ctx.now(),
        })
      ).open
    }
    return null
  }
}

function parsePhone(raw: unknown): string {
  if (typeof raw !== "string" || !raw.trim()) {
    throw new MedusaError(
      MedusaError.Types.INVALID_DATA,
      "phone: enter the M-Pesa phone number to pay with, such as 0712345678"
    )
  }
  try {
    return normalizeKenyanPhone(raw)
  } catch (e) {
    throw toMedusaError(e)
  }
}
