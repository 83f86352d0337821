import type { Logger } from "@medusajs/framework/types"
import type { DarajaClient } from "../../lib/daraja"
import { AdminReadModel } from "./admin-read-model"
import { CallbackApplication } from "./callback-application"
import { CallbackInbox } from "./callback-inbox"
import { CompletionLedger } from "./completion-ledger"
import type { MpesaOptions } from "./options"
import { admitPrompt } from "./prompt-limits/prompt-admission"
import { PromptLimiter } from "./prompt-limits/prompt-limiter"
import { PushInitiation } from "./push-initiation"
import { QuerySettlement } from "./query-settlement"
import { Reconciler } from "./reconciler"
import { MedusaRefunds } from "./refunds/medusa-refunds"
import { MoneyDesk } from "./refunds/money-desk"
import { ReceiptChecks } from "./refunds/receipt-checks"
import { Refunds } from "./refunds/refunds"
import { RefundResultApplication } from "./refunds/result-application"
import { SessionStart } from "./session-start"
import type { ConfigRuntime } from "./settings/config-runtime"
import type { SettlementContext } from "./settlement-context"
import { storesOn } from "./stores"
import { PromptLimitStore } from "./stores/prompt-limit-store"
import type { Knex } from "./types"

/** What lives as long as the module: configuration, the Daraja client, the clock, the event bus. */
export type ModuleServices = {
  logger: Logger
  runtime: ConfigRuntime
  config(): MpesaOptions
  daraja(): DarajaClient
  now(): Date
  emit(name: string, transactionId: string): Promise<void>
}

export type ModuleParts = SettlementContext & {
  sessions: SessionStart
  inbox: CallbackInbox
  reconciler: Reconciler
  completion: CompletionLedger
  refundDesk: Refunds
  medusaRefunds: MedusaRefunds
  receipts: ReceiptChecks
  promptLimiter: PromptLimiter
  reads: AdminReadModel
}

/**
 * The module's parts for one call, over the stores bound to that call's
 * database context (db-context.ts). Plain objects, cheap to build: a call
 * that runs in a caller's transaction gets parts whose every write is in it.
 */
export function buildParts(services: ModuleServices, db: () => Knex): ModuleParts {
  const stores = storesOn(db)
  const ctx: SettlementContext = {
    ...stores,
    desk: new MoneyDesk(db, stores.deskLedger, stores.refunds, services.now),
    logger: services.logger,
    config: services.config,
    daraja: services.daraja,
    now: services.now,
    emit: services.emit,
  }
  const config = services.config()
  const promptLimiter = new PromptLimiter({
    store: new PromptLimitStore(db),
    limits: config.promptLimits,
    // Keys the digests of phone numbers and client addresses stored in the table.
    keySecret: config.callbackSecret,
  })
  const settlement = new QuerySettlement(ctx)
  const inbox = new CallbackInbox(ctx, new CallbackApplication(ctx, settlement), new RefundResultApplication(ctx))
  const initiation = new PushInitiation(
    ctx,
    (id) => inbox.processPendingFor(id),
    (push) => admitPrompt(promptLimiter, push, services.now())
  )
  const refundDesk = new Refunds(ctx)
  return {
    ...ctx,
    sessions: new SessionStart(ctx, initiation, services.runtime),
    inbox,
    reconciler: new Reconciler(ctx, settlement, inbox),
    completion: new CompletionLedger(ctx),
    refundDesk,
    medusaRefunds: new MedusaRefunds(ctx, refundDesk, services.runtime),
    receipts: new ReceiptChecks(ctx),
    promptLimiter,
    reads: new AdminReadModel(ctx),
  }
}
