import { readFileSync } from 'node:fs'
import { isAbsolute, join } from 'node:path'
import { parse } from 'yaml'

// docker-compose.yml read as Compose reads it, and one service translated into `podman run` flags
// (Debian's podman-compose is too old for profiles). A key this does not know is an error, so a
// hardening option can never be dropped without a test noticing.

export interface HealthCheck {
  test: string[]
  interval?: string
  timeout?: string
  start_period?: string
  retries?: number
}

export interface ComposeService {
  image?: string
  build?: string | { context: string }
  profiles?: string[]
  command?: string | string[]
  env_file?: string | string[]
  environment?: Record<string, string | number | boolean> | string[]
  secrets?: (string | { source: string; target?: string })[]
  ports?: string[]
  volumes?: string[]
  healthcheck?: HealthCheck
  restart?: string
  stop_grace_period?: string
  read_only?: boolean
  tmpfs?: string[]
  cap_drop?: string[]
  cap_add?: string[]
  security_opt?: string[]
  user?: string
  depends_on?: Record<string, { condition: string }>
  deploy?: {
    replicas?: number
    resources?: {
      limits?: { cpus?: string; memory?: string; pids?: number }
      reservations?: { memory?: string }
    }
  }
}

export interface ComposeFile {
  name?: string
  services: Record<string, ComposeService>
  secrets?: Record<string, { file: string }>
}

export const COMPOSE_PATH = new URL('../../docker-compose.yml', import.meta.url)
export const COMPOSE_DIR = new URL('../../', import.meta.url).pathname

export function loadCompose(path: URL | string = COMPOSE_PATH): ComposeFile {
  // `merge` resolves the `<<` keys; anchors and aliases are resolved by every YAML parser.
  return parse(readFileSync(path, 'utf8'), { merge: true }) as ComposeFile
}

const resolve = (dir: string, path: string) => (isAbsolute(path) ? path : join(dir, path))

/** KEY=VALUE lines as Compose reads an env_file: comments and blank lines skipped, values verbatim. */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {}
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue
    const at = line.indexOf('=')
    if (at <= 0) throw new Error(`env_file line without KEY=: ${line}`)
    env[line.slice(0, at).trim()] = line.slice(at + 1)
  }
  return env
}

/** The environment a service starts with: its env_files, then `environment` over them. */
export function serviceEnvironment(service: ComposeService, dir = COMPOSE_DIR): Record<string, string> {
  const files = service.env_file === undefined ? [] : [service.env_file].flat()
  const env: Record<string, string> = {}
  for (const file of files) Object.assign(env, parseEnvFile(readFileSync(resolve(dir, file), 'utf8')))
  const given = service.environment ?? {}
  const entries = Array.isArray(given)
    ? given.map((item) => [item.slice(0, item.indexOf('=')), item.slice(item.indexOf('=') + 1)])
    : Object.entries(given).map(([name, value]) => [name, String(value)])
  for (const [name, value] of entries) env[name as string] = value as string
  return env
}

/** Where each of the service's secrets comes from (host file) and goes (/run/secrets/<target>). */
export function serviceSecrets(file: ComposeFile, service: ComposeService, dir = COMPOSE_DIR) {
  return (service.secrets ?? []).map((entry) => {
    const { source, target } = typeof entry === 'string' ? { source: entry, target: entry } : entry
    const declared = file.secrets?.[source]
    if (!declared?.file) throw new Error(`secret ${source} is not declared with a file`)
    return { source: resolve(dir, declared.file), target: `/run/secrets/${target ?? source}` }
  })
}

/** "1m30s", "10s", "500ms" as whole seconds (rounded up). */
export function durationSeconds(value: string): number {
  let ms = 0
  for (const [, amount, unit] of value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    ms += Number(amount) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as 'ms' | 's' | 'm' | 'h']
  }
  if (ms === 0 && !/^0/.test(value)) throw new Error(`not a duration: ${value}`)
  return Math.ceil(ms / 1000)
}

/** Keys with no podman flag here, each for a stated reason. */
const NOT_TRANSLATED = new Set([
  'image', // the caller runs the image it built
  'build', // ditto
  'profiles', // chosen by the caller
  'ports', // the caller runs on the host network, on a free port
  'depends_on', // the caller starts what a service needs
])

/** `podman run` flags (without `run`, the image or the command) that apply `service` as Compose would. */
export function podmanRunFlags(
  file: ComposeFile,
  name: string,
  options: { dir?: string; env?: Record<string, string> } = {},
): string[] {
  const service = file.services[name]
  if (!service) throw new Error(`no service ${name} in the compose file`)
  const dir = options.dir ?? COMPOSE_DIR
  const flags: string[] = []
  for (const key of Object.keys(service)) {
    if (NOT_TRANSLATED.has(key)) continue
    switch (key) {
      case 'env_file':
      case 'environment':
      case 'secrets':
        break // below, once
      case 'command':
        break // serviceCommand() gives it, to go after the image
      case 'read_only':
        // Docker's read-only root has no writable /tmp or /run; podman adds them unless told not to.
        if (service.read_only) flags.push('--read-only', '--read-only-tmpfs=false')
        break
      case 'tmpfs':
        for (const path of service.tmpfs ?? []) flags.push('--tmpfs', path)
        break
      case 'cap_drop':
        for (const cap of service.cap_drop ?? []) flags.push('--cap-drop', cap)
        break
      case 'cap_add':
        for (const cap of service.cap_add ?? []) flags.push('--cap-add', cap)
        break
      case 'security_opt':
        for (const opt of service.security_opt ?? []) flags.push('--security-opt', opt)
        break
      case 'user':
        flags.push('--user', String(service.user))
        break
      case 'restart':
        flags.push('--restart', String(service.restart))
        break
      case 'stop_grace_period':
        flags.push('--stop-timeout', String(durationSeconds(String(service.stop_grace_period))))
        break
      case 'volumes':
        for (const volume of service.volumes ?? []) {
          const [host = '', ...rest] = volume.split(':')
          flags.push('-v', [host.startsWith('.') ? resolve(dir, host) : host, ...rest].join(':'))
        }
        break
      case 'healthcheck': {
        const check = service.healthcheck as HealthCheck
        const [kind, ...command] = check.test
        if (kind === 'NONE') {
          flags.push('--no-healthcheck')
          break
        }
        // podman reads a JSON array as exec form (CMD); any other string runs with /bin/sh -c (CMD-SHELL).
        if (kind === 'CMD') flags.push('--health-cmd', JSON.stringify(command))
        else if (kind === 'CMD-SHELL') flags.push('--health-cmd', command.join(' '))
        else throw new Error(`service ${name}: healthcheck test must start with CMD, CMD-SHELL or NONE`)
        if (check.interval) flags.push('--health-interval', check.interval)
        if (check.timeout) flags.push('--health-timeout', check.timeout)
        if (check.start_period) flags.push('--health-start-period', check.start_period)
        if (check.retries !== undefined) flags.push('--health-retries', String(check.retries))
        break
      }
      case 'deploy': {
        const { limits, reservations } = service.deploy?.resources ?? {}
        if (limits?.cpus) flags.push('--cpus', limits.cpus)
        if (limits?.memory) flags.push('--memory', limits.memory)
        if (limits?.pids !== undefined) flags.push('--pids-limit', String(limits.pids))
        if (reservations?.memory) flags.push('--memory-reservation', reservations.memory)
        break
      }
      default:
        throw new Error(`service ${name}: no podman translation for "${key}"`)
    }
  }
  for (const secret of serviceSecrets(file, service, dir))
    flags.push('-v', `${secret.source}:${secret.target}:ro`)
  const env = { ...serviceEnvironment(service, dir), ...options.env }
  for (const [key, value] of Object.entries(env)) flags.push('-e', `${key}=${value}`)
  return flags
}

/** The service's command as arguments (a string is split as Compose does, honouring double quotes). */
export function serviceCommand(service: ComposeService): string[] {
  if (service.command === undefined) return []
  if (Array.isArray(service.command)) return service.command
  return [...service.command.matchAll(/"([^"]*)"|(\S+)/g)].map((match) => match[1] ?? match[2] ?? '')
}
