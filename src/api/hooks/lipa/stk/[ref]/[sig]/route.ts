import type { MedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { Modules } from "@medusajs/framework/utils"
import { verifyCallbackPath } from "../../../../../../modules/mpesa"
import { MPESA_CALLBACK_RECEIVED } from "../../../../../../modules/mpesa"
import { MPESA_MODULE, type IMpesaModuleService } from "../../../../../../modules/mpesa"
import { callbackSourceIp, isAllowedSource } from "./callback-guard"

/**
 * Daraja's STK Push result callback: POST {callbackBaseUrl}/hooks/lipa/stk/{push}/{signature},
 * one URL per push (see modules/mpesa/callbacks/callback-url.ts). Outside
 * /store (Safaricom cannot send a publishable key) and outside Medusa's
 * /hooks/payment route (whose path would contain "mpesa", a word Safaricom
 * rejects in callback URLs).
 *
 * Order of work: check the push's signature in constant time, optionally the
 * source IP, persist the raw body bound to that push (at most
 * maxCallbacksPerUrl per URL: replays beyond are acknowledged, not stored),
 * acknowledge Daraja, then process asynchronously.
 */
export const AUTHENTICATE = false

export async function POST(req: MedusaRequest, res: MedusaResponse): Promise<void> {
  const mpesa = req.scope.resolve<IMpesaModuleService>(MPESA_MODULE)
  const config = mpesa.getConfig()
  const logger = req.scope.resolve("logger")

  const transactionId = verifyCallbackPath(config.callbackSecret, req.params.ref, req.params.sig)
  if (!transactionId) {
    // Same answer as any unknown path: reveal nothing.
    res.status(404).json({ message: "Not Found" })
    return
  }
  const sourceIp = callbackSourceIp(req)
  if (!isAllowedSource(sourceIp, config.allowedCallbackIps)) {
    logger.warn(`M-Pesa: callback from ${sourceIp ?? "unknown address"} rejected: not in allowedCallbackIps`)
    res.status(403).json({ ResultCode: 1, ResultDesc: "Rejected" })
    return
  }

  const { id, valid } = await mpesa.recordCallback({ payload: req.body ?? null, sourceIp, transactionId })
  if (!valid) {
    res.status(400).json({ ResultCode: 1, ResultDesc: "Rejected: not an STK Push callback" })
    return
  }
  res.status(200).json({ ResultCode: 0, ResultDesc: "Accepted" })
  if (!id) return // a replay beyond maxCallbacksPerUrl: acknowledged, not stored, nothing to apply

  // Persisted already: if this emit is lost (crash, restart), the reconcile
  // job picks the unprocessed callback up again.
  try {
    const eventBus = req.scope.resolve(Modules.EVENT_BUS)
    await eventBus.emit({ name: MPESA_CALLBACK_RECEIVED, data: { id } })
  } catch (e) {
    logger.warn(`M-Pesa: could not queue callback ${id}: ${(e as Error).message}`)
  }
}
