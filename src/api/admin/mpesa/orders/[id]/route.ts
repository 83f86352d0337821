import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { ContainerRegistrationKeys, MedusaError } from "@medusajs/framework/utils"
import { MPESA_MODULE, type IMpesaModuleService } from "../../../../../modules/mpesa"

/**
 * GET /admin/mpesa/orders/:id — what M-Pesa did for one order: every push of
 * its payment collections (masked phone, amount, receipt, state in words)
 * with its timeline, from our ledger and callback inbox.
 */
export async function GET(req: AuthenticatedMedusaRequest, res: MedusaResponse): Promise<void> {
  const query = req.scope.resolve(ContainerRegistrationKeys.QUERY)
  const { data } = await query.graph({
    entity: "order",
    fields: ["id", "payment_collections.id"],
    filters: { id: req.params.id },
  })
  const order = data[0] as { id: string; payment_collections?: { id: string }[] | null } | undefined
  if (!order) {
    throw new MedusaError(MedusaError.Types.NOT_FOUND, `Order ${req.params.id} was not found`)
  }
  const mpesa = req.scope.resolve<IMpesaModuleService>(MPESA_MODULE)
  const payments = await mpesa.paymentsWithTimeline((order.payment_collections ?? []).map((pc) => pc.id))
  res.json({ order_id: order.id, payments })
}
