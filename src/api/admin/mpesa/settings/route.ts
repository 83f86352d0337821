import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { MPESA_MODULE, type IMpesaModuleService } from "../../../../modules/mpesa"
import { mpesaRegionStatus } from "../../../../queries/mpesa-regions"
import type { AdminSaveMpesaSettingsType } from "../validators"

/**
 * GET /admin/mpesa/settings — the effective settings with where each value
 * comes from, secrets only as "set, ending in …", the callback URL Daraja is
 * given, and the regions offering M-Pesa (for the go-live checklist).
 * Authenticated by Medusa (everything under /admin is).
 */
export async function GET(req: AuthenticatedMedusaRequest, res: MedusaResponse): Promise<void> {
  const mpesa = req.scope.resolve<IMpesaModuleService>(MPESA_MODULE)
  const [settings, regions] = await Promise.all([mpesa.getSettings(), mpesaRegionStatus(req.scope)])
  res.json({ settings, regions })
}

/** POST /admin/mpesa/settings — validated by the middleware (zod), then as a whole by the module. */
export async function POST(req: AuthenticatedMedusaRequest<AdminSaveMpesaSettingsType>, res: MedusaResponse): Promise<void> {
  const mpesa = req.scope.resolve<IMpesaModuleService>(MPESA_MODULE)
  const settings = await mpesa.saveSettings(req.validatedBody, req.auth_context?.actor_id ?? null)
  const regions = await mpesaRegionStatus(req.scope)
  res.json({ settings, regions })
}
