import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { collectChild } from './child.js'

export const SERVER_JS = fileURLToPath(new URL('../../dist/server.js', import.meta.url))

export interface Running {
  url: string
  child: ChildProcess
  /** Every line the process wrote, stdout and stderr, in order. */
  lines: string[]
  /** Sends a signal and resolves with the exit code (and signal) once the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Resolves with the exit code (and signal) once the process is gone, sending nothing. */
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

const started = new Set<ChildProcess>()
process.on('exit', () => {
  for (const child of started) child.kill('SIGKILL')
})

function collect(child: ChildProcess, lines: string[]) {
  for (const stream of [child.stdout, child.stderr]) {
    let rest = ''
    stream?.setEncoding('utf8')
    stream?.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n')
      rest = parts.pop() ?? ''
      lines.push(...parts)
    })
  }
}

/** Starts the built server (`node dist/server.js`) on a free loopback port and waits until it listens. */
export async function startServer(env: Record<string, string>, script = SERVER_JS): Promise<Running> {
  const child = spawn(process.execPath, [script], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  started.add(child)
  const lines: string[] = []
  collect(child, lines)
  const exited = once(child, 'exit')
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server did not listen in time:\n${lines.join('\n')}`)),
      10_000,
    )
    const poll = setInterval(() => {
      for (const line of lines) {
        const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line)
        if (match) {
          clearInterval(poll)
          clearTimeout(timer)
          resolve(match[1] as string)
        }
      }
    }, 20)
    child.once('exit', (code) => {
      clearInterval(poll)
      clearTimeout(timer)
      reject(new Error(`server exited with ${code} before listening:\n${lines.join('\n')}`))
    })
  })
  const waitExit = async () => {
    const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null]
    started.delete(child)
    return { code, signal }
  }
  return {
    url,
    child,
    lines,
    stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      return waitExit()
    },
    exited: waitExit,
  }
}

/** Runs the built server expecting it to exit (configuration errors); resolves with its code and output. */
export const runToExit = (env: Record<string, string>, timeoutMs = 10_000) =>
  runScript(SERVER_JS, [], { HOST: '127.0.0.1', PORT: '0', ...env }, timeoutMs)

export const CLI_JS = fileURLToPath(new URL('../../dist/cli.js', import.meta.url))

/** Runs the built command line (`node dist/cli.js ...args`) with only `env` (and PATH). */
export const runCli = (args: string[], env: Record<string, string> = {}, timeoutMs = 10_000) =>
  runScript(CLI_JS, args, env, timeoutMs)

async function runScript(script: string, args: string[], env: Record<string, string>, timeoutMs: number) {
  const child = spawn(process.execPath, [script, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  started.add(child)
  try {
    const { code, stdout, stderr } = await collectChild(child, timeoutMs)
    return { code, stdout, stderr }
  } finally {
    started.delete(child)
  }
}

/**
 * A `start(env)` for a test file whose servers are all killed after each test (registered with
 * vitest's afterEach by the caller, which passes it in to keep this module free of test globals).
 * `check`, when given, looks at each server first (its log lines, say); they are killed either way.
 */
export function serverPool(afterEach: (fn: () => Promise<void>) => void, check?: (server: Running) => void) {
  let running: Running[] = []
  afterEach(async () => {
    const servers = running
    running = []
    try {
      if (check) for (const server of servers) check(server)
    } finally {
      await Promise.all(servers.map((server) => server.stop('SIGKILL')))
    }
  })
  return async (env: Record<string, string>, script?: string): Promise<Running> => {
    const server = await startServer(env, script)
    running.push(server)
    return server
  }
}
