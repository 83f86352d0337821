import type { IPaymentModuleService } from "@medusajs/framework/types"
import { Modules, PaymentSessionStatus } from "@medusajs/framework/utils"
import { createStep, createWorkflow, StepResponse, WorkflowResponse } from "@medusajs/framework/workflows-sdk"
import { MPESA_MODULE, type IMpesaModuleService } from "../modules/mpesa"

type SessionBefore = { id: string; amount: unknown; currency_code: string; data: Record<string, unknown>; status: string }

/**
 * Medusa core ignores `failed`/`canceled` webhook actions, so a declined,
 * cancelled or expired prompt is mirrored onto the payment session here: its
 * status becomes `canceled` or `error`, for storefronts that read the cart's
 * payment session rather than our route. Compensation restores the status.
 */
const mirrorMpesaFailureStep = createStep(
  "mirror-mpesa-failure-on-session",
  async (input: { transaction_id: string }, { container }) => {
    const mpesa = container.resolve<IMpesaModuleService>(MPESA_MODULE)
    const payments = container.resolve<IPaymentModuleService>(Modules.PAYMENT)
    const view = await mpesa.getPayment(input.transaction_id)
    if (!view?.session_id || !["failed", "canceled", "expired"].includes(view.state)) {
      return new StepResponse<"recorded" | "skipped", SessionBefore | null>("skipped", null)
    }
    const [session] = await payments.listPaymentSessions({ id: view.session_id })
    if (!session) {
      return new StepResponse<"recorded" | "skipped", SessionBefore | null>("skipped", null) // already deleted
    }
    await payments.updatePaymentSession({
      id: session.id,
      amount: session.amount,
      currency_code: session.currency_code,
      data: session.data ?? {},
      status: view.state === "canceled" ? PaymentSessionStatus.CANCELED : PaymentSessionStatus.ERROR,
    })
    return new StepResponse<"recorded" | "skipped", SessionBefore | null>("recorded", {
      id: session.id,
      amount: session.amount,
      currency_code: session.currency_code,
      data: session.data ?? {},
      status: session.status,
    })
  },
  async (before, { container }) => {
    if (!before) return
    const payments = container.resolve<IPaymentModuleService>(Modules.PAYMENT)
    await payments.updatePaymentSession({
      id: before.id,
      amount: before.amount as number,
      currency_code: before.currency_code,
      data: before.data,
      status: before.status as PaymentSessionStatus,
    })
  }
)

export const recordMpesaFailureWorkflowId = "record-mpesa-failure"

export const recordMpesaFailureWorkflow = createWorkflow(
  recordMpesaFailureWorkflowId,
  (input: { transaction_id: string }) => new WorkflowResponse(mirrorMpesaFailureStep(input))
)
