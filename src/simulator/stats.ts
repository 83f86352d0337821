/** Counters a test asserts on ("the client fetched exactly one token", "one callback failed"). */

export interface SimulatorStats {
  /** Requests received per Daraja endpoint, rejected ones included. */
  calls: { oauth: number; stkPush: number; stkQuery: number; reversal: number; transactionStatus: number }
  /** Access tokens successfully issued. */
  tokensIssued: number
  /** Callback POSTs answered with HTTP 2xx. */
  callbacksDelivered: number
  /** Callback POSTs answered with another status, or that failed on the network. */
  callbacksFailed: number
  /** Callbacks not sent because of the dropCallbacks fault or reversalOutcome "lost_result". */
  callbacksDropped: number
}

export type DarajaEndpoint = keyof SimulatorStats["calls"]

export function emptyStats(): SimulatorStats {
  return {
    calls: { oauth: 0, stkPush: 0, stkQuery: 0, reversal: 0, transactionStatus: 0 },
    tokensIssued: 0,
    callbacksDelivered: 0,
    callbacksFailed: 0,
    callbacksDropped: 0,
  }
}

export function copyStats(stats: SimulatorStats): SimulatorStats {
  return { ...stats, calls: { ...stats.calls } }
}
