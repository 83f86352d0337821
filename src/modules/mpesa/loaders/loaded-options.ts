import type { MpesaOptions } from "../options"

/**
 * The options the module's loader validated in this process, for the one
 * consumer that cannot be handed the container: the reconcile job's schedule,
 * which Medusa reads when it loads the job file. Medusa loads modules (and
 * runs this module's loader) before it loads jobs, so the job sees the
 * validated value — from medusa-config or MPESA_POLL_INTERVAL_MS alike.
 */
const KEY = Symbol.for("medusa-payment-mpesa-express.loaded-options")
type Holder = { [KEY]?: MpesaOptions }
const holder = globalThis as Holder

export function rememberLoadedOptions(options: MpesaOptions): void {
  holder[KEY] = options
}

/** How often the reconcile job runs: the validated `pollIntervalMs`, or its default before the module loaded. */
export function reconcileIntervalMs(): number {
  return holder[KEY]?.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS
}

export const DEFAULT_POLL_INTERVAL_MS = 5_000
