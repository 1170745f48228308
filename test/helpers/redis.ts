import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './net.js'

// A real Redis (Debian's redis-server) on a free loopback port, for as long as a test needs it.

export const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server'

/** Throws a message saying how to get redis-server when it is missing; never lets a test skip. */
export function assertRedisServer(): void {
  const probe = spawnSync(REDIS_SERVER, ['--version'], { encoding: 'utf8' })
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `${REDIS_SERVER} is not installed, and the rate limit tests need a real Redis: ` +
        'run `apt-get install redis-server` (npm test does it itself when run as root with apt-get), ' +
        'or set REDIS_SERVER to its path',
    )
  }
}

export interface RunningRedis {
  port: number
  /** redis://[:password@]127.0.0.1:port */
  url: string
  /** Freezes the server (SIGSTOP): connections stay open and nothing is answered. */
  pause(): void
  resume(): void
  stop(): Promise<void>
}

const started = new Set<ChildProcess>()
process.on('exit', () => {
  for (const child of started) {
    child.kill('SIGCONT')
    child.kill('SIGKILL')
  }
})

async function startOnce(port: number, password: string | undefined): Promise<ChildProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'ci-redis-'))
  const conf = join(dir, 'redis.conf')
  // In a file rather than on the command line, so the password is not in `ps`.
  writeFileSync(
    conf,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      'save ""',
      'appendonly no',
      `dir ${dir}`,
      ...(password ? [`requirepass ${password}`] : []),
    ].join('\n'),
  )
  const child = spawn(REDIS_SERVER, [conf], { stdio: ['ignore', 'pipe', 'pipe'] })
  started.add(child)
  child.once('exit', () => {
    started.delete(child)
    rmSync(dir, { recursive: true, force: true })
  })
  let output = ''
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`redis-server did not start:\n${output}`))
    }, 10_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer)
        resolve()
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`redis-server exited with ${code}:\n${output}`))
    })
  })
  child.stdout?.removeAllListeners('data').resume()
  child.stderr?.removeAllListeners('data').resume()
  return child
}

export async function startRedis(options: { password?: string } = {}): Promise<RunningRedis> {
  assertRedisServer()
  let lastError: unknown
  // The free port may be taken between finding and binding it; another one is tried then.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort()
    try {
      const child = await startOnce(port, options.password)
      const auth = options.password ? `:${encodeURIComponent(options.password)}@` : ''
      return {
        port,
        url: `redis://${auth}127.0.0.1:${port}`,
        pause: () => child.kill('SIGSTOP'),
        resume: () => child.kill('SIGCONT'),
        async stop() {
          if (child.exitCode !== null || child.signalCode !== null) return
          child.kill('SIGCONT')
          child.kill('SIGTERM')
          await once(child, 'exit')
        },
      }
    } catch (error) {
      lastError = error
    }
  }
  throw lastError
}
