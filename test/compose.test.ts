import { readFileSync, statSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config.js'
import {
  COMPOSE_DIR,
  type ComposeService,
  durationSeconds,
  loadCompose,
  podmanRunFlags,
  serviceCommand,
  serviceEnvironment,
  serviceSecrets,
} from './helpers/compose.js'

// docker-compose.yml as data: what every service promises, and that the service's own configuration
// check accepts what the compose file gives it. test/container/ runs it with podman.

const compose = loadCompose()
const services = Object.entries(compose.services)

/** The service's environment with /run/secrets/* paths pointing at the host files Compose would mount. */
function configFor(service: ComposeService) {
  const env = serviceEnvironment(service)
  for (const { source, target } of serviceSecrets(compose, service))
    for (const [name, value] of Object.entries(env)) if (value === target) env[name] = source
  return loadConfig(env)
}

describe('docker-compose.yml', () => {
  it.each(services)(
    '%s: read-only root, no capabilities, no-new-privileges, limits, restart, health check',
    (_n, s) => {
      expect(s.read_only).toBe(true)
      expect(s.cap_drop).toEqual(['ALL'])
      expect(s.cap_add).toBeUndefined()
      expect(s.security_opt).toContain('no-new-privileges:true')
      expect(s.deploy?.resources?.limits).toMatchObject({
        cpus: expect.any(String),
        memory: expect.any(String),
        pids: expect.any(Number),
      })
      expect(s.restart).toBe('unless-stopped')
      expect(s.healthcheck?.test[0]).toBe('CMD')
    },
  )

  it('runs the service on the image the Dockerfile builds, its health check the image’s node script', () => {
    const identity = compose.services.identity as ComposeService
    expect(identity.build).toBe('.')
    expect(identity.healthcheck?.test).toEqual(['CMD', '/nodejs/bin/node', '/app/dist/healthcheck.js'])
    expect(readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8')).toContain(
      'CMD ["/nodejs/bin/node", "/app/dist/healthcheck.js"]',
    )
  })

  it('gives the service a configuration it accepts, with the secrets as Docker secret files', () => {
    const identity = compose.services.identity as ComposeService
    const env = serviceEnvironment(identity)
    expect(env.SECRETS_FILE).toBe('/run/secrets/inboxes')
    expect(env.JWT_SECRET_FILE).toBe('/run/secrets/jwt_secret')
    // No secret in the environment or the env file.
    expect(Object.keys(env).filter((name) => /SECRET$|KEYS$|REDIS_URL$/.test(name))).toEqual([])
    const config = configFor(identity)
    expect([...(config.secretsFile?.inboxes.keys() ?? [])]).toEqual(['website'])
    expect(config.rateLimit).toBeUndefined()
    // Docker waits stop_grace_period before SIGKILL: the service must be done before.
    expect(durationSeconds(identity.stop_grace_period ?? '10s')).toBeGreaterThan(
      config.shutdown.timeoutSeconds,
    )
  })

  it('ships only throwaway example secrets, readable by the image’s user (uid 65532)', () => {
    for (const { source } of serviceSecrets(compose, compose.services.identity as ComposeService)) {
      expect(source).toMatch(/deploy\/compose\/example-/)
      expect(readFileSync(source, 'utf8')).toContain('EXAMPLE-ONLY')
      expect(statSync(source).mode & 0o004).toBe(0o004)
    }
  })

  it('has a "scale" profile: two replicas sharing a rate limit in its Redis, behind nginx', () => {
    const scaled = Object.keys(compose.services).filter((name) =>
      compose.services[name]?.profiles?.includes('scale'),
    )
    expect(scaled.sort()).toEqual(['identity-replica', 'lb', 'redis'])
    const replica = compose.services['identity-replica'] as ComposeService
    expect(replica.deploy?.replicas).toBe(2)
    expect(replica.ports).toBeUndefined()
    const config = configFor(replica)
    expect(config.rateLimit?.max).toBeGreaterThan(0)
    expect(new URL(config.rateLimit?.redisUrl ?? '').hostname).toBe('redis')
    expect(replica.depends_on?.redis?.condition).toBe('service_healthy')
    // nginx is the one hop in front, and it sends to the replicas' port.
    expect(config.trustProxy).toBe(1)
    const lb = compose.services.lb as ComposeService
    expect(lb.depends_on?.['identity-replica']).toBeDefined()
    const nginx = readFileSync(new URL('../deploy/compose/nginx.conf', import.meta.url), 'utf8')
    expect(nginx).toContain(`server identity-replica:${config.port};`)
    expect(nginx).toContain('proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;')
    expect(serviceCommand(compose.services.redis as ComposeService)).toEqual([
      'redis-server',
      '--save',
      '',
      '--appendonly',
      'no',
      '--maxmemory',
      '64mb',
      '--maxmemory-policy',
      'volatile-ttl',
    ])
  })
})

describe('the podman translation of a compose service', () => {
  it('carries every hardening option, limit, secret and variable', () => {
    const flags = podmanRunFlags(compose, 'identity', { env: { PORT: '1234' } }).join(' ')
    for (const expected of [
      '--read-only --read-only-tmpfs=false',
      '--cap-drop ALL',
      '--security-opt no-new-privileges:true',
      '--restart unless-stopped',
      '--stop-timeout 10',
      '--cpus 1.0 --memory 256M --pids-limit 100 --memory-reservation 128M',
      `-v ${COMPOSE_DIR}deploy/compose/example-inboxes.json:/run/secrets/inboxes:ro`,
      '-e SECRETS_FILE=/run/secrets/inboxes',
      '-e LOG_LEVEL=info',
      '-e PORT=1234',
      '--health-cmd ["/nodejs/bin/node","/app/dist/healthcheck.js"] --health-interval 15s',
    ])
      expect(flags).toContain(expected)
  })

  it('refuses a key it cannot translate rather than dropping it', () => {
    const file = { services: { x: { privileged: true } as unknown as ComposeService } }
    expect(() => podmanRunFlags(file, 'x')).toThrow(/no podman translation for "privileged"/)
  })
})
