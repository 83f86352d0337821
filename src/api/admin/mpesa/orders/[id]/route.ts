import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { MedusaError } from "@medusajs/framework/utils"
import { MPESA_MODULE, type IMpesaModuleService } from "../../../../../modules/mpesa"
import { mpesaPaymentsOfOrder } from "../../../../../queries/order-mpesa-payments"

/**
 * GET /admin/mpesa/orders/:id — what M-Pesa did for one order: every push of
 * its payment collections (read with the order by Query, over the module
 * link) in the merchant's words (masked phone, amount, receipt, state), each
 * with its timeline from our ledger and callback inbox.
 */
export async function GET(req: AuthenticatedMedusaRequest, res: MedusaResponse): Promise<void> {
  const order = await mpesaPaymentsOfOrder(req.scope, req.params.id)
  if (!order) {
    throw new MedusaError(MedusaError.Types.NOT_FOUND, `Order ${req.params.id} was not found`)
  }
  const mpesa = req.scope.resolve<IMpesaModuleService>(MPESA_MODULE)
  res.json({ order_id: order.orderId, payments: await mpesa.paymentsWithTimeline(order.transactionIds) })
}
