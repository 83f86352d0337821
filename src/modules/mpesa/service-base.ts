import type { Context, DAL, IEventBusModuleService, Logger } from "@medusajs/framework/types"
import type { SqlEntityManager } from "@medusajs/framework/mikro-orm/postgresql"
import { callbackUrlPattern } from "./callbacks/callback-url"
import { dbFor } from "./db-context"
import { errorSummary } from "./error-mapping"
import { MPESA_OPTIONS } from "./loaders/validate-options"
import { buildParts, type ModuleParts, type ModuleServices } from "./module-parts"
import type { MpesaOptions } from "./options"
import { ConfigRuntime } from "./settings/config-runtime"

/** A clock the module schedules by; injected as `mpesaClock` (tests move it), else the wall clock. */
export type MpesaClock = { now(): Date }

export type InjectedDependencies = {
  logger: Logger
  baseRepository: DAL.RepositoryService
  event_bus?: IEventBusModuleService
  [MPESA_OPTIONS]: MpesaOptions
  mpesaClock?: MpesaClock
}

/**
 * What every method of the module's service stands on: Medusa's base
 * repository (the manager and transactions the decorators inject), the
 * configuration in force, and the parts built per call over that call's
 * database context (module-parts.ts, db-context.ts).
 */
export abstract class MpesaServiceBase {
  protected readonly baseRepository_: DAL.RepositoryService
  protected readonly services_: ModuleServices
  protected readonly runtime_: ConfigRuntime

  /** `moduleOptions`: the options as given (which values came from the environment or a default), validated by the loader. */
  constructor(container: InjectedDependencies, moduleOptions?: unknown) {
    const logger = container.logger
    this.baseRepository_ = container.baseRepository
    const baseDb = () => (this.baseRepository_.getFreshManager() as SqlEntityManager).getKnex()
    // Options are validated once, by the module's loader (loaders/validate-options.ts).
    this.runtime_ = new ConfigRuntime(baseDb, () => container[MPESA_OPTIONS], moduleOptions ?? container[MPESA_OPTIONS], logger)
    const now = () => optional(() => container.mpesaClock)?.now() ?? new Date()
    const emit = async (name: string, id: string) => {
      const bus = optional(() => container.event_bus)
      // The ledger already holds the truth; for captures the completion sweep picks the payment up even if this is lost.
      await bus?.emit({ name, data: { id } }).catch((e: unknown) => logger.warn(`M-Pesa: could not emit ${name} for ${id}: ${errorSummary(e)}`))
    }
    const runtime = this.runtime_
    this.services_ = { logger, runtime, config: () => runtime.options(), daraja: () => runtime.daraja(), now, emit }
  }

  /** The module's parts over this call's database context. */
  protected parts(sharedContext: Context): ModuleParts {
    return buildParts(this.services_, dbFor(sharedContext, this.baseRepository_))
  }

  // ---------------------------------------------------------------- configuration and settings

  /** The options validated at boot with Settings -> M-Pesa on top (as of the last version check). */
  getConfig(): MpesaOptions {
    return this.runtime_.options()
  }

  /** Re-reads saved settings if their version moved (`force`: check now rather than within a few seconds). */
  async refreshConfig(force = false): Promise<MpesaOptions> {
    return (await this.runtime_.refresh(force)).options
  }

  /** The callback URL's shape, per-push parts as placeholders (never the secret). */
  callbackUrlPattern(): string {
    return callbackUrlPattern(this.getConfig())
  }

}

/** Reads an optional container registration (awilix throws for unregistered names). */
function optional<T>(read: () => T | undefined): T | undefined {
  try {
    return read()
  } catch {
    return undefined
  }
}
