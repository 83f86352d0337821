import { ContainerRegistrationKeys, MedusaError } from "@medusajs/framework/utils"
import { createStep, createWorkflow, StepResponse, transform, WorkflowResponse } from "@medusajs/framework/workflows-sdk"
import { createPaymentCollectionForCartWorkflow, createPaymentSessionsWorkflow } from "@medusajs/medusa/core-flows"
import type MpesaModuleService from "../modules/mpesa/service"
import { completeMpesaPaymentWorkflow } from "./complete-mpesa-payment"

export type AttachMpesaPaymentInput = { transaction_id: string; cart_id: string; actor_id: string }

type CartForAttach = {
  id: string
  total: number | string
  currency_code: string
  completed_at: Date | null
  region?: { payment_providers?: { id: string }[] | null } | null
  payment_collection?: { id: string } | null
}

const kes = (n: number) => `KES ${n.toLocaleString("en-KE")}`

/** Checks the cart can take the money (open, KES, same whole amount) and gives it a payment collection. */
const prepareCartStep = createStep("prepare-cart-for-mpesa-attach", async (input: AttachMpesaPaymentInput, { container }) => {
  const mpesa = container.resolve<MpesaModuleService>("mpesa")
  const row = await mpesa.getLedgerRow(input.transaction_id)
  if (!row) throw new MedusaError(MedusaError.Types.NOT_FOUND, `M-Pesa payment ${input.transaction_id} was not found`)
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const load = async () =>
    (
      await query.graph({
        entity: "cart",
        fields: ["id", "total", "currency_code", "completed_at", "region.payment_providers.id", "payment_collection.id"],
        filters: { id: input.cart_id },
      })
    ).data[0] as CartForAttach | undefined
  let cart = await load()
  if (!cart) throw new MedusaError(MedusaError.Types.NOT_FOUND, `cart_id: cart ${input.cart_id} was not found`)
  if (cart.completed_at) {
    throw new MedusaError(
      MedusaError.Types.NOT_ALLOWED,
      `cart_id: cart ${cart.id} is already completed into an order, so this money is extra: reverse it or record a refund made outside M-Pesa`
    )
  }
  if (cart.currency_code.toLowerCase() !== "kes") {
    throw new MedusaError(MedusaError.Types.NOT_ALLOWED, `cart_id: cart ${cart.id} is in ${cart.currency_code.toUpperCase()}; M-Pesa money is KES`)
  }
  const paid = row.paid_amount ?? row.amount
  const total = Math.floor(Number(cart.total) + 0.5)
  if (total !== paid) {
    throw new MedusaError(
      MedusaError.Types.INVALID_DATA,
      `cart_id: the amounts must agree: cart ${cart.id} costs ${kes(total)} and this payment is ${kes(paid)}`
    )
  }
  const provider = cart.region?.payment_providers?.find((p) => p.id.startsWith("pp_mpesa"))
  if (!provider) {
    throw new MedusaError(MedusaError.Types.NOT_ALLOWED, `cart_id: cart ${cart.id}'s region does not offer M-Pesa`)
  }
  if (!cart.payment_collection) {
    await createPaymentCollectionForCartWorkflow(container).run({ input: { cart_id: cart.id } })
    cart = (await load())!
  }
  return new StepResponse({ payment_collection_id: cart.payment_collection!.id, provider_id: provider.id })
})

/** Marks the money as going to that collection; withdrawn if the session cannot be created. */
const requestAttachStep = createStep(
  "request-mpesa-attach",
  async (input: { transaction_id: string; payment_collection_id: string; actor_id: string }, { container }) => {
    await container.resolve<MpesaModuleService>("mpesa").requestAttach(input.transaction_id, input.payment_collection_id, `admin:${input.actor_id}`)
    return new StepResponse(input.transaction_id, input.transaction_id)
  },
  async (transactionId, { container }) => {
    if (transactionId) await container.resolve<MpesaModuleService>("mpesa").cancelAttach(transactionId)
  }
)

const confirmAttachedStep = createStep("confirm-mpesa-attached", async (input: { transaction_id: string }, { container }) => {
  const row = await container.resolve<MpesaModuleService>("mpesa").getLedgerRow(input.transaction_id)
  if (!row || row.unmatched || !row.payment_session_id) {
    throw new MedusaError(MedusaError.Types.UNEXPECTED_STATE, "The new payment session did not take the M-Pesa payment; nothing was changed")
  }
  return new StepResponse(row.id)
})

export const attachMpesaPaymentToCartWorkflowId = "attach-mpesa-payment-to-cart"

/**
 * Unmatched M-Pesa money -> the cart it was meant for: a new M-Pesa payment
 * session is created on the cart's payment collection, and our provider,
 * seeing the admin's attach request, gives it the paid money instead of
 * sending a prompt; then the usual completion turns the cart into an order.
 */
export const attachMpesaPaymentToCartWorkflow = createWorkflow(attachMpesaPaymentToCartWorkflowId, (input: AttachMpesaPaymentInput) => {
  const cart = prepareCartStep(input)
  requestAttachStep(
    transform({ input, cart }, ({ input, cart }) => ({
      transaction_id: input.transaction_id,
      payment_collection_id: cart.payment_collection_id,
      actor_id: input.actor_id,
    }))
  )
  createPaymentSessionsWorkflow.runAsStep({
    input: transform({ cart }, ({ cart }) => ({
      payment_collection_id: cart.payment_collection_id,
      provider_id: cart.provider_id,
      data: {},
    })),
  })
  const transactionId = confirmAttachedStep(transform({ input }, ({ input }) => ({ transaction_id: input.transaction_id })))
  const completion = completeMpesaPaymentWorkflow.runAsStep({ input: transform({ transactionId }, ({ transactionId }) => ({ transaction_id: transactionId })) })
  return new WorkflowResponse({ transaction_id: transactionId, completion })
})
