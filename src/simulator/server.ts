/**
 * `startDarajaSimulator`: wires the stores, handlers and HTTP server together and exposes the
 * DarajaSimulator handle that tests and the CLI hold.
 */
import http, { type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { CallbackDispatcher, type CallbackDelivery } from "./callbacks"
import { Scheduler } from "./clock"
import { handleControl, type SimulatorControls } from "./control-api"
import { faultsUpdateSchema, NO_FAULTS, type FaultsUpdate, type SimulatorFaults } from "./faults"
import { IdFactory } from "./ids"
import { Ledger } from "./ledger"
import { bearerToken, handleOAuth, TokenStore } from "./oauth"
import { resolveOptions, type DarajaSimulatorOptions, type ResolvedOptions } from "./options"
import { PromptStore, type StkPrompt } from "./prompts"
import type { ResultDelivery, ResultRequestDeps } from "./result-callback"
import { handleReversal } from "./reversal"
import { ReversalLog, type ReversalRecord } from "./reversal-log"
import { createRequestListener } from "./router"
import { SecurityCredentialKeys } from "./security-credential"
import { copyStats, emptyStats, type SimulatorStats } from "./stats"
import { stkCallbackBody } from "./stk-callback-body"
import { handleStkPush } from "./stk-push"
import { handleStkQuery } from "./stk-query"
import { handleTransactionStatus } from "./transaction-status"
import { describeZodError } from "./validation"
import { virtualPhonePage } from "./virtual-phone-page"

export interface DarajaSimulator extends SimulatorControls {
  /** Base URL, e.g. "http://127.0.0.1:4010": use it as the Daraja client's baseUrl. */
  readonly url: string
  readonly port: number
  /** The options in force, defaults filled in. */
  readonly options: Readonly<ResolvedOptions>
  /** Stops timers, aborts callbacks in flight, ends hung requests and closes the server. */
  close(): Promise<void>
  /**
   * Resolves with the first prompt, existing or future, that matches `predicate` (default: any
   * prompt waiting for the customer). Rejects after `timeoutMs` (default 5000).
   */
  waitForPrompt(predicate?: (prompt: StkPrompt) => boolean, timeoutMs?: number): Promise<StkPrompt>
  /**
   * Resolves with the delivery records once `n` callbacks have been delivered, have failed, or were
   * dropped by the dropCallbacks fault. Default timeout 5000 ms.
   */
  waitForCallbacks(n: number, timeoutMs?: number): Promise<CallbackDelivery[]>
  /**
   * Test hook: from now on, each accepted push's HTTP answer waits (after its prompt exists and,
   * under callbackBeforeResponse, after its callback was delivered) until the returned function is
   * called. Reproduces a slow push answer with the callback already in, deterministically.
   * reset() and close() release held answers.
   */
  holdPushAnswers(): () => void
}

export async function startDarajaSimulator(options: DarajaSimulatorOptions = {}): Promise<DarajaSimulator> {
  const simulator = new Simulator(resolveOptions(options))
  await simulator.listen()
  return simulator
}

class Simulator implements DarajaSimulator {
  readonly publicKeyPem: string
  private readonly server: http.Server
  private readonly scheduler: Scheduler
  private readonly ids = new IdFactory()
  private readonly tokens: TokenStore
  private readonly keys = new SecurityCredentialKeys()
  private readonly ledger = new Ledger()
  private readonly reversalLog = new ReversalLog()
  private readonly promptStore: PromptStore
  private readonly dispatcher: CallbackDispatcher
  private readonly held = new Set<ServerResponse>()
  private pushAnswerGate: { promise: Promise<void>; release: () => void } | null = null
  private currentFaults: SimulatorFaults = { ...NO_FAULTS }
  private counters = emptyStats()
  private address: AddressInfo | null = null
  private closing: Promise<void> | null = null

  constructor(readonly options: ResolvedOptions) {
    this.publicKeyPem = this.keys.publicKeyPem
    this.scheduler = new Scheduler(options.timeScale)
    this.tokens = new TokenStore(this.ids, options.tokenTtlSeconds, options.strict.singleActiveToken)
    this.dispatcher = new CallbackDispatcher(() => this.currentFaults, options.logger)
    this.promptStore = new PromptStore({
      scheduler: this.scheduler,
      ids: this.ids,
      callbackDelayMs: () => this.callbackDelayMs(),
      promptTimeoutMs: options.promptTimeoutMs,
      onCompleted: async (prompt) => {
        this.ledger.recordPayment(prompt)
        await this.dispatcher.deliver("stk", prompt.checkoutRequestId, prompt.callbackUrl, stkCallbackBody(prompt))
      },
    })
    this.server = http.createServer(
      createRequestListener({
        oauth: (query, headers) =>
          handleOAuth(query, headers, {
            consumerKey: options.consumerKey,
            consumerSecret: options.consumerSecret,
            tokens: this.tokens,
            onIssued: () => {
              this.counters.tokensIssued += 1
            },
          }),
        post: async (endpoint, body) => {
          const faults = this.currentFaults
          switch (endpoint) {
            case "stkPush":
              return handleStkPush(body, {
                merchants: options.merchants,
                defaultOutcome: options.defaultOutcome,
                faults,
                prompts: this.promptStore,
                ids: this.ids,
                strict: options.strict,
                duplicateRules: options.duplicateRules,
                beforeAnswer: this.pushAnswerGate ? () => this.pushAnswerGate?.promise ?? Promise.resolve() : undefined,
              })
            case "stkQuery":
              return handleStkQuery(body, { merchants: options.merchants, faults, prompts: this.promptStore, strict: options.strict })
            case "reversal":
              return handleReversal(body, { ...this.resultRequestDeps(), outcome: faults.reversalOutcome })
            case "transactionStatus":
              return handleTransactionStatus(body, this.resultRequestDeps())
          }
        },
        isAuthorized: (headers) => {
          const token = bearerToken(headers)
          return token !== null && this.tokens.accept(token, this.currentFaults.expireTokens)
        },
        countCall: (endpoint) => {
          this.counters.calls[endpoint] += 1
        },
        latencyMs: () => this.currentFaults.latencyMs ?? options.latencyMs,
        control: (method, path, req) => handleControl(method, path, req, this),
        page: () => ({ kind: "html", status: 200, body: virtualPhonePage() }),
        hold: (res) => {
          this.held.add(res)
          res.on("close", () => this.held.delete(res))
        },
        log: options.logger,
      }),
    )
  }

  get url(): string {
    const address = this.requireAddress()
    const host = address.family === "IPv6" || address.address.includes(":") ? `[${address.address}]` : address.address
    return `http://${host === "0.0.0.0" || host === "[::]" ? "127.0.0.1" : host}:${address.port}`
  }

  get port(): number {
    return this.requireAddress().port
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject)
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off("error", reject)
        this.address = this.server.address() as AddressInfo
        resolve()
      })
    })
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.pushAnswerGate?.release()
      this.scheduler.cancelAll()
      this.dispatcher.abortAll()
      for (const res of this.held) res.socket?.destroy()
      this.held.clear()
      this.server.close(() => resolve())
      // Keep-alive sockets would otherwise hold close() open until they time out.
      this.server.closeAllConnections()
    })
    return this.closing
  }

  prompts(): StkPrompt[] {
    return this.promptStore.list()
  }

  approve(checkoutRequestId: string): StkPrompt {
    return this.promptStore.answer(checkoutRequestId, 0, "customer")
  }

  decline(checkoutRequestId: string, resultCode = 1032): StkPrompt {
    if (!Number.isInteger(resultCode) || resultCode === 0) throw new Error("decline() needs a non-zero integer result code")
    return this.promptStore.answer(checkoutRequestId, resultCode, "customer")
  }

  timeout(checkoutRequestId: string): StkPrompt {
    return this.promptStore.answer(checkoutRequestId, 1037, "timeout")
  }

  faults(): SimulatorFaults {
    return { ...this.currentFaults }
  }

  setFaults(update: FaultsUpdate): SimulatorFaults {
    const parsed = faultsUpdateSchema.safeParse(update)
    if (!parsed.success) throw new Error(`Invalid fault switches: ${describeZodError(parsed.error)}`)
    this.currentFaults = { ...this.currentFaults, ...parsed.data }
    if (parsed.data.expireTokens) this.tokens.spendAll()
    return this.faults()
  }

  holdPushAnswers(): () => void {
    this.pushAnswerGate?.release()
    let release = () => {}
    const promise = new Promise<void>((resolve) => {
      release = resolve
    })
    const gate = {
      promise,
      release: () => {
        release()
        if (this.pushAnswerGate === gate) this.pushAnswerGate = null
      },
    }
    this.pushAnswerGate = gate
    return gate.release
  }

  reset(): void {
    this.pushAnswerGate?.release()
    this.scheduler.cancelAll()
    // Also forgets the subscriber locks and the duplicate-rule history, which live with the prompts.
    this.promptStore.clear()
    // A callback from before a reset must not land in the next test.
    this.dispatcher.abortAll()
    this.dispatcher.clear()
    this.ledger.clear()
    this.reversalLog.clear()
    this.tokens.clear()
    this.currentFaults = { ...NO_FAULTS }
    this.counters = emptyStats()
  }

  stats(): SimulatorStats {
    const totals = this.dispatcher.totals()
    return {
      ...copyStats(this.counters),
      callbacksDelivered: totals.delivered,
      callbacksFailed: totals.failed,
      callbacksDropped: totals.dropped,
    }
  }

  callbacks(): CallbackDelivery[] {
    return this.dispatcher.list()
  }

  reversals(): ReversalRecord[] {
    return this.reversalLog.list()
  }

  waitForPrompt(
    predicate: (prompt: StkPrompt) => boolean = (p) => p.state === "awaiting_customer",
    timeoutMs = 5000,
  ): Promise<StkPrompt> {
    const existing = this.promptStore.list().find(predicate)
    if (existing) return Promise.resolve(existing)
    return new Promise((resolve, reject) => {
      const stop = this.promptStore.onChange((prompt) => {
        if (!predicate(prompt)) return
        clearTimeout(timer)
        stop()
        resolve(prompt)
      })
      const timer = setTimeout(() => {
        stop()
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for a matching STK prompt (${this.promptStore.list().length} prompts so far)`))
      }, timeoutMs)
    })
  }

  waitForCallbacks(n: number, timeoutMs = 5000): Promise<CallbackDelivery[]> {
    return this.dispatcher.waitFor(n, timeoutMs)
  }

  private callbackDelayMs(): number {
    return this.currentFaults.callbackDelayMs ?? this.options.callbackDelayMs
  }

  private resultRequestDeps(): ResultRequestDeps {
    const delivery: ResultDelivery = { scheduler: this.scheduler, callbacks: this.dispatcher, delayMs: this.callbackDelayMs() }
    return { ids: this.ids, keys: this.keys, ledger: this.ledger, reversals: this.reversalLog, delivery }
  }

  private requireAddress(): AddressInfo {
    if (!this.address) throw new Error("Daraja simulator is not listening")
    return this.address
  }
}
