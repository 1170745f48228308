import type { ChildProcess } from 'node:child_process'

export interface ChildResult {
  code: number | null
  stdout: string
  stderr: string
  /** It ran past the timeout and was killed. */
  timedOut: boolean
}

/**
 * A spawned child's output (spawn it with stdout and stderr piped) once it exits, killed with SIGKILL
 * after `timeoutMs`; rejects when it cannot be run at all.
 */
export function collectChild(child: ChildProcess, timeoutMs: number): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    let stdout = ''
    let stderr = ''
    let timedOut = false
    child.stdout?.on('data', (chunk) => {
      stdout += chunk
    })
    child.stderr?.on('data', (chunk) => {
      stderr += chunk
    })
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, timeoutMs)
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr, timedOut })
    })
  })
}
