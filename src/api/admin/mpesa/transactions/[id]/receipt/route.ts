import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { MedusaError } from "@medusajs/framework/utils"
import { MPESA_MODULE, type IMpesaModuleService } from "../../../../../../modules/mpesa"
import type { AdminAddMpesaReceiptType } from "../../../validators"

/**
 * POST /admin/mpesa/transactions/:id/receipt — "Add receipt" for a payment
 * confirmed by a status query (no receipt, so it cannot be reversed). The
 * plugin asks M-Pesa's Transaction Status about the receipt first; 200 when
 * it is on the payment, 202 while M-Pesa has not answered (the check goes
 * on; GET shows it), 400 with M-Pesa's reason when it does not fit.
 */
export async function POST(req: AuthenticatedMedusaRequest<AdminAddMpesaReceiptType>, res: MedusaResponse): Promise<void> {
  const mpesa = req.scope.resolve<IMpesaModuleService>(MPESA_MODULE)
  const check = await mpesa.addReceipt(req.params.id, req.validatedBody.receipt, `admin:${req.auth_context.actor_id}`)
  if (check.status === "rejected") throw new MedusaError(MedusaError.Types.NOT_ALLOWED, check.reason ?? "M-Pesa did not confirm this receipt.")
  res.status(check.status === "checking" ? 202 : 200).json({ check, transaction: await mpesa.getAdminTransaction(req.params.id) })
}

/** GET /admin/mpesa/transactions/:id/receipt — the newest receipt check of the payment. */
export async function GET(req: AuthenticatedMedusaRequest, res: MedusaResponse): Promise<void> {
  const mpesa = req.scope.resolve<IMpesaModuleService>(MPESA_MODULE)
  res.json({ check: await mpesa.latestReceiptCheck(req.params.id) })
}
