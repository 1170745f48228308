import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

const DEMO_JS = fileURLToPath(new URL('../../dist/demo.js', import.meta.url))

export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  return port
}

export interface Demo {
  child: ChildProcess
  /** Everything the demo printed on stdout so far. */
  output(): string
  /** Waits until stdout has a line matching `pattern`, and returns the match. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>
  stop(): Promise<void>
}

/** `npm run demo` as a user runs it (the built dist/demo.js), with no configuration but its ports. */
export async function startDemo(env: Record<string, string> = {}): Promise<Demo> {
  const port = await freePort()
  const child = spawn(process.execPath, [DEMO_JS], {
    env: { PATH: process.env.PATH ?? '', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const exited = once(child, 'exit')
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk
  })
  return {
    child,
    output: () => out,
    async waitFor(pattern, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const match = pattern.exec(out)
        if (match) return match
        if (Date.now() > deadline || child.exitCode !== null)
          throw new Error(`demo never printed ${pattern}:\n${out}`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await exited
    },
  }
}
