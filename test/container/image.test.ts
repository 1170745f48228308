import { execFileSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  COMPOSE_DIR,
  type ComposeService,
  loadCompose,
  podmanRunFlags,
  serviceCommand,
} from '../helpers/compose.js'
import { hsKey, sign } from '../helpers/keys.js'
import { freePort } from '../helpers/net.js'
import { type RunningRedis, startRedis } from '../helpers/redis.js'
import { referenceHash, SPEC_VECTOR } from '../helpers/reference.js'
import { Containers, podman } from './podman.js'

// The Dockerfile built unchanged with podman and the image run as a user runs it, over real HTTP; then
// docker-compose.yml's services run from their definitions. Needs podman and the local base images:
// `../shared/tools/container-standins` (.ci/run calls it first).

const ROOT = COMPOSE_DIR
const compose = loadCompose()
const IMAGE = compose.services.identity?.image ?? 'chatwoot-identity:local'
const CI_TAG = 'localhost/chatwoot-identity:ci'
const containers = new Containers()
const dir = mkdtempSync(join(tmpdir(), 'ci-container-'))

function secretFile(name: string, content: string): string {
  const path = join(dir, name)
  writeFileSync(path, content)
  chmodSync(path, 0o644) // bind-mounted: the image's user (65532) reads it
  return path
}

async function waitReady(url: string, name: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) })
      if (response.status === 200) return
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      const logs = await podman(['logs', name], { allowFailure: true })
      throw new Error(`${name} not ready in ${timeoutMs} ms:\n${logs.stdout}\n${logs.stderr}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

async function identity(url: string, token: string) {
  const response = await fetch(`${url}/v1/identity`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(5000),
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

/** Runs the image detached on the host network, on a free loopback port. */
async function run(role: string, flags: string[], env: Record<string, string> = {}, command: string[] = []) {
  const name = containers.name(role)
  const port = await freePort()
  const envFlags = Object.entries({ ...env, PORT: String(port), HOST: '127.0.0.1' }).flatMap(([k, v]) => [
    '-e',
    `${k}=${v}`,
  ])
  await podman(['run', '-d', '--name', name, '--network', 'host', ...flags, ...envFlags, IMAGE, ...command])
  const url = `http://127.0.0.1:${port}`
  await waitReady(url, name)
  return { name, url }
}

/** Fields of /proc/1/status inside the container, read by the image's own node (there is no shell). */
async function processStatus(name: string): Promise<Record<string, string>> {
  const script =
    "const s = require('fs').readFileSync('/proc/1/status', 'utf8');" +
    "console.log(JSON.stringify(Object.fromEntries(s.trim().split('\\n').map((l) => l.split(/:\\s+/)))))"
  return JSON.parse((await podman(['exec', name, '/nodejs/bin/node', '-e', script])).stdout)
}

async function inspect(name: string, format: string): Promise<string> {
  return (await podman(['inspect', name, '--format', format])).stdout.trim()
}

/** `podman stop`: how long it took and the exit code the service chose. */
async function stop(name: string) {
  const began = Date.now()
  await podman(['stop', '-t', '10', name], { timeoutMs: 30_000 })
  return { ms: Date.now() - began, exitCode: Number(await inspect(name, '{{.State.ExitCode}}')) }
}

beforeAll(async () => {
  const revision = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim()
  const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version
  const began = Date.now()
  // As a user builds it, plus --format docker so HEALTHCHECK is kept (OCI images have none).
  await podman(
    [
      'build',
      '--format',
      'docker',
      '--pull=never',
      '--network',
      'host',
      '--build-arg',
      `VERSION=${version}`,
      '--build-arg',
      `REVISION=${revision}`,
      '-t',
      CI_TAG,
      '-t',
      IMAGE,
      ROOT,
    ],
    { timeoutMs: 20 * 60_000 },
  )
  const bytes = Number((await podman(['image', 'inspect', IMAGE, '--format', '{{.Size}}'])).stdout.trim())
  console.log(
    `image ${IMAGE}: ${(bytes / 1e6).toFixed(1)} MB (${bytes} bytes), built in ${((Date.now() - began) / 1000).toFixed(0)} s`,
  )
}, 20 * 60_000)

afterAll(async () => {
  await containers.removeAll()
})

describe('the image', () => {
  it('runs node on distroless as uid 65532, production only, with labels and a health check', async () => {
    const [image] = JSON.parse((await podman(['image', 'inspect', IMAGE])).stdout)
    const config = image.Config
    // Kept only in Docker's image format (OCI has no health check), at the top level of podman's answer.
    expect(image.Healthcheck?.Test).toEqual(['CMD', '/nodejs/bin/node', '/app/dist/healthcheck.js'])
    expect(config.User).toBe('65532:65532')
    expect(config.Entrypoint).toEqual(['/nodejs/bin/node'])
    // What `npm start` runs (and the benchmark measures), node's flags included.
    const start = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).scripts
      .start
    expect(['node', ...config.Cmd].join(' ')).toBe(start)
    expect(config.Cmd).toEqual(['--max-semi-space-size=8', 'dist/server.js'])
    expect(config.Env).toContain('NODE_ENV=production')
    expect(config.Labels).toMatchObject({
      'org.opencontainers.image.title': 'chatwoot-identity',
      'org.opencontainers.image.licenses': 'MIT',
      'org.opencontainers.image.version': JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
        .version,
    })
    expect(config.Labels['org.opencontainers.image.revision']).toMatch(/^[0-9a-f]{40}$/)
  })

  it('holds no npm, shell, sources, tests, .git, source maps or development dependencies; runs the bundle', async () => {
    const probe = `
      const fs = require('fs')
      const exists = (p) => fs.existsSync(p)
      const walk = (d) => fs.readdirSync(d, { withFileTypes: true })
        .flatMap((e) => e.isDirectory() ? walk(d + '/' + e.name) : [d + '/' + e.name])
      console.log(JSON.stringify({
        app: fs.readdirSync('/app').sort(),
        present: ['/bin/sh', '/usr/local/bin/npm', '/usr/local/lib/node_modules', '/app/src', '/app/test',
          '/app/.git', '/app/node_modules/typescript', '/app/node_modules/vitest', '/app/node_modules/jose',
          '/app/node_modules/eslint', '/app/node_modules/kubernetes-models'].filter(exists),
        maps: walk('/app/dist').filter((f) => f.endsWith('.map') || f.endsWith('.ts')),
        runtime: ['/app/node_modules/fastify', '/app/node_modules/ioredis', '/app/node_modules/@fastify/rate-limit']
          .filter(exists).length,
        // The bundle npm run bench measures: it and its chunks import only Node's built-ins and each other.
        bundleImports: ['/app/dist/server.js', ...fs.readdirSync('/app/dist/chunks').map((f) => '/app/dist/chunks/' + f)]
          .flatMap((file) => [...fs.readFileSync(file, 'utf8')
            .matchAll(/(?:^|[;}\\s])(?:import|export)\\s*(?:[\\w$\{},*\\s]+from\\s*)?["']([^"']+)["']/g)])
          .map((m) => m[1]).filter((s) => !s.startsWith('node:') && !s.startsWith('./')),
      }))`
    const name = containers.name('probe')
    const { stdout } = await podman(['run', '--name', name, '--network', 'none', IMAGE, '-e', probe])
    expect(JSON.parse(stdout)).toEqual({
      app: ['dist', 'node_modules', 'openapi.yaml', 'package.json'],
      present: [],
      maps: [],
      runtime: 3,
      bundleImports: [],
    })
  })

  it('serves the right hash for a real token, with _FILE secrets, as non-root; health check passes; stops with 0 in under 10 s', async () => {
    const jwt = hsKey(40)
    const inboxFile = secretFile('website-inbox', `${SPEC_VECTOR.secret}\n`)
    const jwtFile = secretFile('jwt-secret', jwt.secret)
    const { name, url } = await run(
      'main',
      [
        '-v',
        `${inboxFile}:/run/secrets/website_inbox:ro`,
        '-v',
        `${jwtFile}:/run/secrets/jwt_secret:ro`,
        '--read-only',
        '--read-only-tmpfs=false',
        '--cap-drop',
        'ALL',
      ],
      {
        CHATWOOT_INBOX_WEBSITE_SECRET_FILE: '/run/secrets/website_inbox',
        JWT_SECRET_FILE: '/run/secrets/jwt_secret',
      },
    )

    const token = await sign(jwt, { sub: SPEC_VECTOR.identifier })
    expect(await identity(url, token)).toEqual({
      status: 200,
      body: { inbox: 'website', identifier: SPEC_VECTOR.identifier, identifier_hash: SPEC_VECTOR.hash },
    })
    expect((await identity(url, await sign(hsKey(40), { sub: 'forged' }))).status).toBe(401)
    // The API document ships next to dist/ and is served from it.
    const document = await fetch(`${url}/openapi.yaml`, { signal: AbortSignal.timeout(5000) })
    expect(document.status).toBe(200)
    expect(await document.text()).toBe(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8'))

    // No shell in the image: podman top reads the process table itself (USER in the container, HUSER on the host).
    const top = (await podman(['top', name, 'user', 'huser', 'args'])).stdout.trim().split('\n')
    const users = top.slice(1).map((line) => line.trim().split(/\s+/).slice(0, 2).join(' '))
    expect(users.length).toBeGreaterThan(0)
    expect(new Set(users)).toEqual(new Set(['nonroot 65532']))
    expect(await processStatus(name)).toMatchObject({
      Uid: '65532\t65532\t65532\t65532',
      CapBnd: '0000000000000000',
    })

    const health = await podman(['healthcheck', 'run', name], { allowFailure: true })
    expect(health.code, `${health.stdout}${health.stderr}`).toBe(0)

    const stopped = await stop(name)
    expect(stopped.exitCode).toBe(0)
    expect(stopped.ms).toBeLessThan(10_000)
    const logs = await podman(['logs', name])
    const all = logs.stdout + logs.stderr
    expect(all).toContain('"msg":"stopped"')
    for (const secret of [SPEC_VECTOR.secret, jwt.secret, token]) expect(all).not.toContain(secret)
    console.log(`podman stop: exit ${stopped.exitCode} after ${stopped.ms} ms`)
  })
})

describe('docker-compose.yml under podman', () => {
  it('runs the main service as its definition says: secrets, read-only, no capabilities, limits, health check', async () => {
    const service = compose.services.identity as ComposeService
    const { name, url } = await run(
      'compose',
      podmanRunFlags(compose, 'identity'),
      {},
      serviceCommand(service),
    )

    const host = JSON.parse(await inspect(name, '{{json .HostConfig}}'))
    expect(host.ReadonlyRootfs).toBe(true)
    expect(host.Memory).toBe(256 * 1024 * 1024)
    expect(host.PidsLimit).toBe(100)
    expect(host.RestartPolicy.Name).toBe('unless-stopped')
    // What the process really runs with: no capabilities at all, and no way to gain privileges.
    expect(await processStatus(name)).toMatchObject({
      CapEff: '0000000000000000',
      CapBnd: '0000000000000000',
      NoNewPrivs: '1',
    })
    await expect(
      podman(['exec', name, '/nodejs/bin/node', '-e', "require('fs').writeFileSync('/tmp/x', '')"]),
    ).rejects.toThrow(/EROFS/)

    // The example secrets, read by the service from /run/secrets as Docker would mount them.
    const inboxes = JSON.parse(readFileSync(join(ROOT, 'deploy/compose/example-inboxes.json'), 'utf8'))
    const jwtSecret = readFileSync(join(ROOT, 'deploy/compose/example-jwt-secret.txt'), 'utf8').replace(
      /\n$/,
      '',
    )
    const token = await sign(
      { alg: 'HS256', privateKey: new TextEncoder().encode(jwtSecret), publicPem: '' },
      {
        sub: 'user-42',
      },
    )
    expect(await identity(url, token)).toEqual({
      status: 200,
      body: {
        inbox: 'website',
        identifier: 'user-42',
        identifier_hash: referenceHash(inboxes.inboxes.website.secret, 'user-42'),
      },
    })

    expect((await podman(['healthcheck', 'run', name], { allowFailure: true })).code).toBe(0)
    const stopped = await stop(name)
    expect(stopped.exitCode).toBe(0)
    expect(stopped.ms).toBeLessThan(10_000)
  })

  describe('the "scale" profile', () => {
    let redis: RunningRedis
    beforeAll(async () => {
      redis = await startRedis()
    })
    afterAll(async () => {
      await redis?.stop()
    })

    it('runs two replicas of its service definition that enforce one rate limit together', async () => {
      const service = compose.services['identity-replica'] as ComposeService
      const max = Number(
        service.environment && !Array.isArray(service.environment) ? service.environment.RATE_LIMIT_MAX : NaN,
      )
      expect(max).toBeGreaterThan(0)
      // On the host network the compose service name `redis` does not resolve: the test's Redis stands in.
      const flags = podmanRunFlags(compose, 'identity-replica', { env: { RATE_LIMIT_REDIS_URL: redis.url } })
      const [a, b] = await Promise.all([run('replica', flags), run('replica', flags)])

      const jwtSecret = readFileSync(join(ROOT, 'deploy/compose/example-jwt-secret.txt'), 'utf8').replace(
        /\n$/,
        '',
      )
      const key = { alg: 'HS256', privateKey: new TextEncoder().encode(jwtSecret), publicPem: '' }
      const token = await sign(key, { sub: 'scale-user' })
      const statuses: number[] = []
      for (let i = 0; i < max; i++) statuses.push((await identity(i % 2 ? b.url : a.url, token)).status)
      expect(statuses.every((status) => status === 200)).toBe(true)
      expect((await identity(a.url, token)).status).toBe(429)
      expect((await identity(b.url, token)).status).toBe(429)
      expect((await identity(b.url, await sign(key, { sub: 'someone-else' }))).status).toBe(200)

      const stopped = await Promise.all([stop(a.name), stop(b.name)])
      expect(stopped.map((s) => s.exitCode)).toEqual([0, 0])
    })
  })
})
