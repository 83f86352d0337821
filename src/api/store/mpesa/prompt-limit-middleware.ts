import type { MedusaNextFunction, MedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import type { ICustomerModuleService, IPaymentModuleService } from "@medusajs/framework/types"
import { MedusaError, Modules } from "@medusajs/framework/utils"
import { normalizeKenyanPhone } from "../../../lib/daraja"
import { MPESA_MODULE, type IMpesaModuleService } from "../../../modules/mpesa"
import { pickClientAddress } from "../../../modules/mpesa"
import { promptLimitMessage } from "../../../modules/mpesa"
import type { PromptLimitName } from "../../../modules/mpesa"
import { withPromptRequest, type PromptRequest } from "../../../modules/mpesa"

/** Our provider's ids: `pp_<provider id>_<id>`, registered as id "mpesa" -> "pp_mpesa_mpesa". */
const MPESA_PROVIDER_PREFIX = "pp_mpesa_"

/**
 * Runs before Medusa's `POST /store/payment-collections/:id/payment-sessions`
 * (the call that makes our provider send an STK Push). Anyone holding the
 * public publishable key can call it, so M-Pesa prompts are limited per phone
 * number, per payment collection and per client address (PostgreSQL counters).
 *
 * A prompt is counted only where it is about to reach Daraja (the module's
 * push-initiation), never here: a request Medusa or the provider refuses
 * first (unknown collection, invalid body or phone, M-Pesa not set up, a
 * re-attached prompt) spends nothing, however the connection ends. Here the
 * limits are only read, so that a request already over one ends with 429
 * before Medusa touches the payment collection; the count at the push is the
 * one that holds under concurrency.
 *
 * The JSON body is already parsed: Medusa's body parser is mounted on "/"
 * before any route middleware.
 */
export async function mpesaPromptLimit(req: MedusaRequest, res: MedusaResponse, next: MedusaNextFunction): Promise<void> {
  const body = (req.body ?? {}) as { provider_id?: unknown; data?: unknown }
  if (typeof body.provider_id !== "string" || !body.provider_id.startsWith(MPESA_PROVIDER_PREFIX)) {
    return next()
  }
  const paymentCollectionId = String(req.params.id ?? "")
  let request: PromptRequest
  try {
    if (!(await paymentCollectionExists(req, paymentCollectionId))) {
      // Medusa itself would fail later with a 500 that names nothing.
      return next(new MedusaError(MedusaError.Types.NOT_FOUND, `Payment collection with id: ${paymentCollectionId} was not found`))
    }
    const mpesa = req.scope.resolve<IMpesaModuleService>(MPESA_MODULE)
    request = {
      clientAddress: pickClientAddress(req.socket?.remoteAddress, req.headers["x-forwarded-for"], mpesa.getConfig().trustedProxyHops),
      paymentCollectionId,
      refusal: null,
    }
    const allowance = await mpesa.checkPromptAllowance({
      phone: await promptPhone(req, body.data),
      paymentCollectionId,
      clientIp: request.clientAddress,
    })
    if (!allowance.allowed) {
      return refuse(res, allowance.limit, allowance.retryAfterSeconds)
    }
  } catch (e) {
    return next(e)
  }
  answerPushRefusalWith429(res, request)
  withPromptRequest(request, () => next())
}

function refuse(res: MedusaResponse, limit: PromptLimitName, retryAfterSeconds: number): void {
  res.setHeader("Retry-After", String(retryAfterSeconds))
  res.status(429).json({
    type: "too_many_requests",
    code: "mpesa_prompt_limit",
    limit,
    retry_after_seconds: retryAfterSeconds,
    message: promptLimitMessage(limit, retryAfterSeconds),
  })
}

/**
 * A push refused by a limit at the count (it lost a race for the last prompt
 * to a simultaneous request) throws through Medusa's workflow into Medusa's
 * error handler, which has no 429. The module notes the refusal on the
 * request; this makes that error answer exactly what a refusal here answers.
 */
function answerPushRefusalWith429(res: MedusaResponse, request: PromptRequest): void {
  const json = res.json.bind(res)
  res.json = ((payload: unknown) => {
    const refusal = request.refusal
    if (refusal && res.statusCode >= 400 && !res.headersSent) {
      request.refusal = null
      refuse(res, refusal.limit, refusal.retryAfterSeconds)
      return res
    }
    return json(payload)
  }) as MedusaResponse["json"]
}

async function paymentCollectionExists(req: MedusaRequest, id: string): Promise<boolean> {
  if (!id) return false
  const payments = req.scope.resolve<IPaymentModuleService>(Modules.PAYMENT)
  const [found] = await payments.listPaymentCollections({ id }, { select: ["id"], take: 1 })
  return !!found
}

/**
 * The phone the provider will prompt, normalised, or null (the phone limit
 * is then skipped here: the provider refuses a missing or invalid phone before
 * calling Daraja, and the count at the push uses the phone it sends). Mirrors the provider's own choice exactly:
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
