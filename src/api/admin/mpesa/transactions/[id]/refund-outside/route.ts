import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { MPESA_MODULE, type IMpesaModuleService } from "../../../../../../modules/mpesa"
import { recordMpesaOutsideRefundWorkflow } from "../../../../../../workflows/record-mpesa-outside-refund"
import type { AdminRecordOutsideRefundType } from "../../../validators"

/**
 * POST /admin/mpesa/transactions/:id/refund-outside — records a refund the
 * merchant made outside the plugin (no Daraja call); for an order's payment
 * it is also recorded on the order through Medusa's refund flow.
 */
export async function POST(req: AuthenticatedMedusaRequest<AdminRecordOutsideRefundType>, res: MedusaResponse): Promise<void> {
  const { result } = await recordMpesaOutsideRefundWorkflow(req.scope).run({
    input: {
      transaction_id: req.params.id,
      amount: req.validatedBody.amount,
      note: req.validatedBody.note,
      actor_id: req.auth_context.actor_id,
    },
  })
  const transaction = await req.scope.resolve<IMpesaModuleService>(MPESA_MODULE).getAdminTransaction(req.params.id)
  res.json({ transaction, refund: result.refund, medusa_refund_id: result.refund.medusa_refund_id })
}
