import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'

// podman as the container tests use it: every call bounded in time, its output kept for error messages.

// The configuration ../shared/tools/container-standins writes (vfs storage, runc, cgroupfs).
const STANDINS_CONF = '/etc/containers/standins.conf'
const env = {
  ...process.env,
  ...(process.env.CONTAINERS_CONF === undefined && existsSync(STANDINS_CONF)
    ? { CONTAINERS_CONF: STANDINS_CONF }
    : {}),
}

export interface Result {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs podman; rejects with its output when it exits non-zero (unless `allowFailure`) or overruns. */
export function podman(
  args: string[],
  options: { timeoutMs?: number; allowFailure?: boolean } = {},
): Promise<Result> {
  const timeoutMs = options.timeoutMs ?? 60_000
  return new Promise((resolve, reject) => {
    const child = spawn('podman', args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => {
      stdout += chunk
    })
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`podman ${args.join(' ')}: no end after ${timeoutMs} ms\n${stdout}\n${stderr}`))
    }, timeoutMs)
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(
        new Error(
          `podman cannot be run (${error.message}): run ../shared/tools/container-standins first (.ci/run does)`,
        ),
      )
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      if (code !== 0 && !options.allowFailure)
        reject(
          new Error(
            `podman ${args.slice(0, 3).join(' ')} … exited ${code}\n${stdout.slice(-4000)}\n${stderr.slice(-4000)}`,
          ),
        )
      else resolve({ code, stdout, stderr })
    })
  })
}

/** Containers started by a test file, removed (forcibly) when it ends. */
export class Containers {
  readonly #names: string[] = []
  #count = 0

  name(role: string): string {
    const name = `ci-chatwoot-identity-${process.pid}-${role}-${++this.#count}`
    this.#names.push(name)
    return name
  }

  async removeAll(): Promise<void> {
    if (this.#names.length > 0) await podman(['rm', '-f', '-t', '0', ...this.#names], { allowFailure: true })
  }
}
