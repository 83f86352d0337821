import type { MedusaNextFunction, MedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { ContainerRegistrationKeys, MathBN } from "@medusajs/framework/utils"
import { MPESA_MODULE, type IMpesaModuleService } from "../../../modules/mpesa"

/** Our provider's ids: `pp_<provider id>_<id>`, registered as id "mpesa" -> "pp_mpesa_mpesa". */
const MPESA_PROVIDER_PREFIX = "pp_mpesa_"

type OrderPayment = {
  id: string
  provider_id: string
  data: Record<string, unknown> | null
  captures: { amount: unknown }[] | null
  refunds: { amount: unknown }[] | null
}

/**
 * Runs before Medusa's `POST /admin/orders/:id/cancel`. Medusa's cancel
 * refunds captured payments but logs and swallows a refund that fails, then
 * cancels the order anyway: for an M-Pesa payment M-Pesa cannot reverse
 * (no receipt yet, part already refunded outside…), that would leave a
 * cancelled order, the shopper's money kept, and no button for it. So the
 * cancel is refused up front with what the money desk would say and what to
 * do; nothing is changed.
 */
export async function mpesaCancelGuard(req: MedusaRequest, res: MedusaResponse, next: MedusaNextFunction): Promise<void> {
  const query = req.scope.resolve(ContainerRegistrationKeys.QUERY)
  const { data } = await query.graph({
    entity: "order",
    fields: [
      "id",
      "payment_collections.payments.id",
      "payment_collections.payments.provider_id",
      "payment_collections.payments.data",
      "payment_collections.payments.captures.amount",
      "payment_collections.payments.refunds.amount",
    ],
    filters: { id: req.params.id },
  })
  const order = data[0] as { payment_collections?: { payments?: OrderPayment[] | null }[] | null } | undefined
  const payments = (order?.payment_collections ?? []).flatMap((pc) => pc.payments ?? [])
  const mpesa = req.scope.resolve<IMpesaModuleService>(MPESA_MODULE)
  for (const payment of payments.filter((p) => p.provider_id.startsWith(MPESA_PROVIDER_PREFIX))) {
    const captured = (payment.captures ?? []).reduce((sum, c) => MathBN.add(sum, c.amount as number), MathBN.convert(0))
    const refunded = (payment.refunds ?? []).reduce((sum, r) => MathBN.add(sum, r.amount as number), MathBN.convert(0))
    const left = MathBN.sub(captured, refunded)
    if (!MathBN.gt(left, 0)) continue
    const refusal = await mpesa.medusaRefundRefusal({
      sessionId: typeof payment.data?.session_id === "string" ? payment.data.session_id : undefined,
      checkoutRequestId: typeof payment.data?.checkout_request_id === "string" ? payment.data.checkout_request_id : undefined,
      amount: left.toString(),
    })
    if (refusal) {
      res.status(400).json({
        type: "not_allowed",
        message: `The order was not cancelled: its M-Pesa payment cannot be refunded through M-Pesa now. ${refusal}`,
      })
      return
    }
  }
  next()
}
