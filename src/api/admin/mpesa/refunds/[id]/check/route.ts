import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { MPESA_MODULE, type IMpesaModuleService } from "../../../../../../modules/mpesa"

/**
 * POST /admin/mpesa/refunds/:id/check — "Check again" for a reversal M-Pesa
 * has not confirmed: one Transaction Status check now, beyond the job's
 * budget. Answers once M-Pesa's answer is in or after reversalWaitMs (the
 * refund is then still open and the job keeps following it).
 */
export async function POST(req: AuthenticatedMedusaRequest, res: MedusaResponse): Promise<void> {
  const mpesa = req.scope.resolve<IMpesaModuleService>(MPESA_MODULE)
  const refund = await mpesa.checkReversalNow(req.params.id)
  res.json({ refund, transaction: await mpesa.getAdminTransaction(refund.transaction_id) })
}
