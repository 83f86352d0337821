import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { MPESA_MODULE, type IMpesaModuleService } from "../../../../../../modules/mpesa"
import { reverseUnmatchedMpesaPaymentWorkflow } from "../../../../../../workflows/reverse-unmatched-mpesa-payment"
import type { AdminReverseMpesaPaymentType } from "../../../validators"

/**
 * POST /admin/mpesa/transactions/:id/reverse — gives unmatched money back
 * with a Daraja Reversal of the whole payment. Answers once M-Pesa's result
 * is in or after reversalWaitMs (then `refund.status` is still open and the
 * ledger follows it).
 */
export async function POST(req: AuthenticatedMedusaRequest<AdminReverseMpesaPaymentType>, res: MedusaResponse): Promise<void> {
  const { result: refund } = await reverseUnmatchedMpesaPaymentWorkflow(req.scope).run({
    input: { transaction_id: req.params.id, actor_id: req.auth_context.actor_id, note: req.validatedBody.note ?? null },
  })
  const transaction = await req.scope.resolve<IMpesaModuleService>(MPESA_MODULE).getAdminTransaction(req.params.id)
  res.json({ transaction, refund })
}
