import type { MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, MedusaError } from "@medusajs/framework/utils"
import { createStep, createWorkflow, StepResponse, transform, when, WorkflowResponse } from "@medusajs/framework/workflows-sdk"
import { createPaymentCollectionForCartWorkflow, createPaymentSessionsWorkflow } from "@medusajs/medusa/core-flows"
import { COLLECTION_TOKEN_KEY, MPESA_MODULE, roundToShillings, type IMpesaModuleService } from "../modules/mpesa"
import { completeMpesaPaymentWorkflow } from "./complete-mpesa-payment"

/** Exactly one of cart_id (an open cart, completed into an order) or order_id (an order with an unpaid payment collection). */
export type AttachMpesaPaymentInput = { transaction_id: string; cart_id?: string; order_id?: string; actor_id: string }

type AttachTarget = {
  payment_collection_id: string
  provider_id: string
  cart_id: string | null
  order_id: string | null
  /** names the collection to our provider when the new session is created (the module signed it) */
  collection_token: string
}

type OrderForAttach = {
  id: string
  display_id: number | null
  currency_code: string
  region?: { payment_providers?: { id: string }[] | null } | null
  payment_collections?: { id: string; amount: number | string; status: string }[] | null
}

type CartForAttach = {
  id: string
  total: number | string
  currency_code: string
  completed_at: Date | null
  region?: { payment_providers?: { id: string }[] | null } | null
  payment_collection?: { id: string } | null
}

const kes = (n: number) => `KES ${n.toLocaleString("en-KE")}`

const mpesaProvider = (providers: { id: string }[] | null | undefined) => providers?.find((p) => p.id.startsWith("pp_mpesa"))

/** What the checks found: the collection to attach to, or (a cart without one yet) the cart to give one. */
type CheckedTarget = Omit<AttachTarget, "collection_token" | "payment_collection_id"> & { payment_collection_id: string | null }

const loadCart = async (container: MedusaContainer, cartId: string | undefined) => {
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const { data } = await query.graph({
    entity: "cart",
    fields: ["id", "total", "currency_code", "completed_at", "region.payment_providers.id", "payment_collection.id"],
    filters: { id: cartId },
  })
  return data[0] as CartForAttach | undefined
}

/**
 * Checks the target can take the money — an open KES cart costing the same
 * whole amount, or an order with an unpaid payment collection of that
 * amount — and names its collection (a cart may have none yet: the workflow
 * gives it one next, and takes it away again if a later step fails).
 */
const checkTargetStep = createStep("check-mpesa-attach-target", async (input: AttachMpesaPaymentInput, { container }) => {
  const mpesa = container.resolve<IMpesaModuleService>(MPESA_MODULE)
  const row = await mpesa.getLedgerRow(input.transaction_id)
  if (!row) throw new MedusaError(MedusaError.Types.NOT_FOUND, `M-Pesa payment ${input.transaction_id} was not found`)
  const paid = row.paid_amount ?? row.amount
  if (input.order_id) return new StepResponse<CheckedTarget>(await orderTarget(container, input.order_id, paid))
  const cart = await loadCart(container, input.cart_id)
  if (!cart) throw new MedusaError(MedusaError.Types.NOT_FOUND, `cart_id: cart ${input.cart_id ?? ""} was not found`)
  if (cart.completed_at) {
    throw new MedusaError(
      MedusaError.Types.NOT_ALLOWED,
      `cart_id: cart ${cart.id} is already completed into an order, so this money is extra: reverse it or record a refund made outside M-Pesa`
    )
  }
  if (cart.currency_code.toLowerCase() !== "kes") {
    throw new MedusaError(MedusaError.Types.NOT_ALLOWED, `cart_id: cart ${cart.id} is in ${cart.currency_code.toUpperCase()}; M-Pesa money is KES`)
  }
  const total = roundToShillings(cart.total)
  if (total !== paid) {
    throw new MedusaError(
      MedusaError.Types.INVALID_DATA,
      `cart_id: the amounts must agree: cart ${cart.id} costs ${kes(total)} and this payment is ${kes(paid)}`
    )
  }
  const provider = mpesaProvider(cart.region?.payment_providers)
  if (!provider) {
    throw new MedusaError(MedusaError.Types.NOT_ALLOWED, `cart_id: cart ${cart.id}'s region does not offer M-Pesa`)
  }
  return new StepResponse<CheckedTarget>({
    payment_collection_id: cart.payment_collection?.id ?? null,
    provider_id: provider.id,
    cart_id: cart.id,
    order_id: null,
  })
})

/** The target with its collection (the cart's new one if it had none) and the token naming it to our provider. */
const resolveCollectionStep = createStep("resolve-mpesa-attach-collection", async (target: CheckedTarget, { container }) => {
  const collectionId = target.payment_collection_id ?? (await loadCart(container, target.cart_id ?? undefined))?.payment_collection?.id
  if (!collectionId) {
    throw new MedusaError(MedusaError.Types.UNEXPECTED_STATE, `cart_id: cart ${target.cart_id ?? ""} has no payment collection; nothing was changed`)
  }
  const mpesa = container.resolve<IMpesaModuleService>(MPESA_MODULE)
  return new StepResponse<AttachTarget>({ ...target, payment_collection_id: collectionId, collection_token: mpesa.collectionToken(collectionId) })
})

/** An order takes the money only for a payment collection still unpaid and of exactly that amount (e.g. after an order edit). */
async function orderTarget(container: MedusaContainer, orderId: string, paid: number): Promise<CheckedTarget> {
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const { data } = await query.graph({
    entity: "order",
    fields: ["id", "display_id", "currency_code", "region.payment_providers.id", "payment_collections.id", "payment_collections.amount", "payment_collections.status"],
    filters: { id: orderId },
  })
  const order = data[0] as OrderForAttach | undefined
  if (!order) throw new MedusaError(MedusaError.Types.NOT_FOUND, `order_id: order ${orderId} was not found`)
  const name = order.display_id ? `order #${order.display_id}` : `order ${order.id}`
  if (order.currency_code.toLowerCase() !== "kes") {
    throw new MedusaError(MedusaError.Types.NOT_ALLOWED, `order_id: ${name} is in ${order.currency_code.toUpperCase()}; M-Pesa money is KES`)
  }
  const unpaid = (order.payment_collections ?? []).filter((pc) => ["not_paid", "awaiting"].includes(pc.status))
  const match = unpaid.find((pc) => roundToShillings(pc.amount) === paid)
  if (!match) {
    throw new MedusaError(
      unpaid.length ? MedusaError.Types.INVALID_DATA : MedusaError.Types.NOT_ALLOWED,
      unpaid.length
        ? `order_id: the amounts must agree: ${name} has ${unpaid.map((pc) => kes(roundToShillings(pc.amount))).join(", ")} to pay and this payment is ${kes(paid)}`
        : `order_id: ${name} has nothing left to pay, so this money is extra: reverse it or record a refund made outside M-Pesa`
    )
  }
  const provider = mpesaProvider(order.region?.payment_providers)
  if (!provider) throw new MedusaError(MedusaError.Types.NOT_ALLOWED, `order_id: ${name}'s region does not offer M-Pesa`)
  return { payment_collection_id: match.id, provider_id: provider.id, cart_id: null, order_id: order.id }
}

/** Marks the money as going to that collection; withdrawn if the session cannot be created. */
const requestAttachStep = createStep(
  "request-mpesa-attach",
  async (input: { transaction_id: string; payment_collection_id: string; actor_id: string }, { container }) => {
    await container.resolve<IMpesaModuleService>(MPESA_MODULE).requestAttach(input.transaction_id, input.payment_collection_id, `admin:${input.actor_id}`)
    return new StepResponse(input.transaction_id, input.transaction_id)
  },
  async (transactionId, { container }) => {
    if (transactionId) await container.resolve<IMpesaModuleService>(MPESA_MODULE).cancelAttach(transactionId)
  }
)

const confirmAttachedStep = createStep("confirm-mpesa-attached", async (input: { transaction_id: string }, { container }) => {
  const row = await container.resolve<IMpesaModuleService>(MPESA_MODULE).getLedgerRow(input.transaction_id)
  if (!row || row.unmatched || !row.payment_session_id) {
    throw new MedusaError(MedusaError.Types.UNEXPECTED_STATE, "The new payment session did not take the M-Pesa payment; nothing was changed")
  }
  return new StepResponse(row.id)
})

export const attachMpesaPaymentToCartWorkflowId = "attach-mpesa-payment-to-cart"

/**
 * Unmatched M-Pesa money -> the cart (or unpaid order) it was meant for: a
 * new M-Pesa payment session is created on that payment collection, and our
 * provider, seeing the admin's attach request, gives it the paid money
 * instead of sending a prompt; then the usual completion turns the cart into
 * an order (or captures the order's payment).
 */
export const attachMpesaPaymentToCartWorkflow = createWorkflow(attachMpesaPaymentToCartWorkflowId, (input: AttachMpesaPaymentInput) => {
  const checked = checkTargetStep(input)
  when("cart-needs-payment-collection", { checked }, ({ checked }) => !checked.payment_collection_id && !!checked.cart_id).then(() => {
    createPaymentCollectionForCartWorkflow.runAsStep({ input: transform({ checked }, ({ checked }) => ({ cart_id: checked.cart_id! })) })
  })
  const cart = resolveCollectionStep(checked)
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
      data: { [COLLECTION_TOKEN_KEY]: cart.collection_token },
    })),
  })
  const transactionId = confirmAttachedStep(transform({ input }, ({ input }) => ({ transaction_id: input.transaction_id })))
  const completion = completeMpesaPaymentWorkflow.runAsStep({ input: transform({ transactionId }, ({ transactionId }) => ({ transaction_id: transactionId })) })
  return new WorkflowResponse({ transaction_id: transactionId, completion, target: cart })
})
