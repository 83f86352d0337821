import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { MPESA_MODULE, type IMpesaModuleService } from "../../../../../../modules/mpesa"
import type { AdminCloseMpesaRefundType } from "../../../validators"

/**
 * POST /admin/mpesa/refunds/:id/close — closes a reversal M-Pesa never
 * confirmed as returned, when the Org portal shows the money went back: it
 * counts as refunded (an order's refund is then recorded in Medusa by the
 * reconcile job). Refused (409) once M-Pesa settled it meanwhile.
 */
export async function POST(req: AuthenticatedMedusaRequest<AdminCloseMpesaRefundType>, res: MedusaResponse): Promise<void> {
  const mpesa = req.scope.resolve<IMpesaModuleService>(MPESA_MODULE)
  const refund = await mpesa.closeReversalAsReturned(req.params.id, `admin:${req.auth_context.actor_id}`, req.validatedBody.note)
  res.json({ refund, transaction: await mpesa.getAdminTransaction(refund.transaction_id) })
}
