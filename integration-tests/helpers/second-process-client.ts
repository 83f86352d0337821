import { spawn, type ChildProcessWithoutNullStreams } from "child_process"
import path from "path"
import readline from "readline"

export type SecondProcessAnswer = { ok: boolean; view?: unknown; error?: string; ready?: boolean }

/**
 * Starts second-mpesa-process.ts (another process of the deployment on the
 * same database) and talks to it line by line. `send` answers in order;
 * `kill` is SIGKILL, as a crashed worker.
 */
export async function startSecondProcess(connectionString: string) {
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    ["-r", "ts-node/register", path.join(__dirname, "second-mpesa-process.ts")],
    { cwd: path.join(__dirname, "../.."), env: { ...process.env, SECOND_PROCESS_DB: connectionString, TS_NODE_TRANSPILE_ONLY: "1" } }
  )
  const queue: SecondProcessAnswer[] = []
  const waiters: ((v: SecondProcessAnswer) => void)[] = []
  readline.createInterface({ input: child.stdout }).on("line", (line) => {
    const msg = JSON.parse(line) as SecondProcessAnswer
    const w = waiters.shift()
    w ? w(msg) : queue.push(msg)
  })
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
  const next = () =>
    new Promise<SecondProcessAnswer>((resolve) => {
      if (queue.length) return resolve(queue.shift()!)
      waiters.push(resolve)
      // A killed process answers nothing more.
      void exited.then(() => resolve({ ok: false, error: "killed" }))
    })
  await next() // {"ready": true}
  return {
    send: (cmd: Record<string, unknown>) => {
      if (child.exitCode === null && !child.killed) child.stdin.write(JSON.stringify(cmd) + "\n")
      return next()
    },
    kill: async () => {
      child.kill("SIGKILL")
      await exited
    },
    stop: async () => {
      if (child.exitCode !== null || child.killed) return
      child.stdin.write(JSON.stringify({ exit: true }) + "\n")
      await exited
    },
  }
}
