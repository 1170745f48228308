import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { collectChild } from '../helpers/child.js'

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
  const child = spawn('podman', args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
  return collectChild(child, timeoutMs).then(
    ({ code, stdout, stderr, timedOut }) => {
      if (timedOut)
        throw new Error(`podman ${args.join(' ')}: no end after ${timeoutMs} ms\n${stdout}\n${stderr}`)
      if (code !== 0 && !options.allowFailure)
        throw new Error(
          `podman ${args.slice(0, 3).join(' ')} … exited ${code}\n${stdout.slice(-4000)}\n${stderr.slice(-4000)}`,
        )
      return { code, stdout, stderr }
    },
    (error: Error) => {
      throw new Error(
        `podman cannot be run (${error.message}): run ../shared/tools/container-standins first (.ci/run does)`,
      )
    },
  )
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
