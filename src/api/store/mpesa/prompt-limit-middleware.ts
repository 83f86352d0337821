import type { MedusaNextFunction, MedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import type { ICustomerModuleService } from "@medusajs/framework/types"
import { Modules } from "@medusajs/framework/utils"
import { normalizeKenyanPhone } from "../../../lib/daraja"
import type MpesaModuleService from "../../../modules/mpesa/service"
import { promptLimitMessage } from "../../../modules/mpesa/prompt-limits/messages"

/** Our provider's ids: `pp_<provider id>_<id>`, registered as id "mpesa" -> "pp_mpesa_mpesa". */
const MPESA_PROVIDER_PREFIX = "pp_mpesa_"

/**
 * Runs before Medusa's `POST /store/payment-collections/:id/payment-sessions`
 * (the call that makes our provider send an STK Push). Anyone holding the
 * public publishable key can call it, so every M-Pesa prompt is counted per
 * phone number, per payment collection and per client address, in
 * PostgreSQL. Over a limit the request ends here with 429: no payment
 * session is created and nothing reaches Daraja.
 *
 * The JSON body is already parsed: Medusa's body parser is mounted on "/"
 * before any route middleware.
 */
export async function mpesaPromptLimit(req: MedusaRequest, res: MedusaResponse, next: MedusaNextFunction): Promise<void> {
  const body = (req.body ?? {}) as { provider_id?: unknown; data?: unknown }
  if (typeof body.provider_id !== "string" || !body.provider_id.startsWith(MPESA_PROVIDER_PREFIX)) {
    return next()
  }
  const mpesa = req.scope.resolve<MpesaModuleService>("mpesa")
  const allowance = await mpesa.consumePromptAllowance({
    phone: await promptPhone(req, body.data),
    paymentCollectionId: String(req.params.id ?? ""),
    // Express's req.ip: Medusa sets `trust proxy` to 1, so this is the address
    // the one reverse proxy in front of Medusa saw (last X-Forwarded-For hop).
    clientIp: req.ip || null,
  })
  if (allowance.allowed) {
    return next()
  }
  res.setHeader("Retry-After", String(allowance.retryAfterSeconds))
  res.status(429).json({
    type: "too_many_requests",
    code: "mpesa_prompt_limit",
    limit: allowance.limit,
    retry_after_seconds: allowance.retryAfterSeconds,
    message: promptLimitMessage(allowance.limit, allowance.retryAfterSeconds),
  })
}

/**
 * The phone the provider will prompt, normalised, or null (the phone limit
 * is then skipped: the provider refuses a missing or invalid phone before
 * calling Daraja). Mirrors the provider's own choice exactly:
 * `data.phone ?? data.phone_number ?? <logged-in customer's phone>`; without
 * the last step a shopper could register a stranger's number on a customer
 * account and send prompts with an empty `data`, past the phone limit.
 */
async function promptPhone(req: MedusaRequest, data: unknown): Promise<string | null> {
  const d = data && typeof data === "object" ? (data as Record<string, unknown>) : {}
  let raw: unknown = d.phone ?? d.phone_number
  if (raw === undefined || raw === null) {
    const auth = (req as MedusaRequest & { auth_context?: { actor_type?: string; actor_id?: string } }).auth_context
    if (auth?.actor_type === "customer" && auth.actor_id) {
      const customers = req.scope.resolve<ICustomerModuleService>(Modules.CUSTOMER)
      const customer = await customers.retrieveCustomer(auth.actor_id, { select: ["phone"] }).catch(() => null)
      raw = customer?.phone
    }
  }
  if (typeof raw !== "string") {
    return null
  }
  try {
    return normalizeKenyanPhone(raw)
  } catch {
    return null
  }
}
