import { createStep, StepResponse } from "@medusajs/framework/workflows-sdk"
import { MPESA_MODULE, type IMpesaModuleService } from "../../modules/mpesa"

export type ClaimedCompletion = {
  transaction_id: string
  session_id: string
  /** the ledger's record of the session's payment collection (the session itself may be deleted meanwhile) */
  payment_collection_id: string | null
  amount: string
} | null

/**
 * Leases a paid payment for completion so the capture subscriber and the
 * reconcile job never complete the same cart at once. Compensation gives the
 * lease back if a later step throws.
 */
export const claimMpesaCompletionStep = createStep(
  "claim-mpesa-completion",
  async (input: { transaction_id: string }, { container }) => {
    const mpesa = container.resolve<IMpesaModuleService>(MPESA_MODULE)
    const view = await mpesa.claimCompletion(input.transaction_id)
    if (!view || !view.session_id) {
      return new StepResponse<ClaimedCompletion, string | null>(null, null)
    }
    const amount = (await mpesa.medusaAmountFor(view.transaction_id)) ?? String(view.amount)
    return new StepResponse<ClaimedCompletion, string | null>(
      { transaction_id: view.transaction_id, session_id: view.session_id, payment_collection_id: view.payment_collection_id, amount },
      view.transaction_id
    )
  },
  async (transactionId, { container }) => {
    if (transactionId) {
      await container.resolve<IMpesaModuleService>(MPESA_MODULE).releaseCompletion(transactionId)
    }
  }
)
