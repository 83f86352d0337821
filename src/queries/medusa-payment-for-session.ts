import type { MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"

export type MedusaPaymentForMpesa = { id: string; amount: number; refunded: number; captured: boolean }

/** Medusa's payment made from an M-Pesa payment session (its order's payment), if there is one. */
export async function findMedusaPaymentForSession(
  container: Pick<MedusaContainer, "resolve">,
  sessionId: string | null
): Promise<MedusaPaymentForMpesa | null> {
  if (!sessionId) return null
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const { data } = await query.graph({
    entity: "payment",
    fields: ["id", "amount", "captured_at", "captures.id", "refunds.amount"],
    filters: { payment_session_id: sessionId },
  })
  const p = data[0] as
    | { id: string; amount: number | string; captured_at: Date | null; captures?: { id: string }[]; refunds?: { amount: number | string }[] }
    | undefined
  if (!p) return null
  return {
    id: p.id,
    amount: Number(p.amount),
    refunded: (p.refunds ?? []).reduce((sum, r) => sum + Number(r.amount), 0),
    captured: !!p.captured_at || !!p.captures?.length,
  }
}
