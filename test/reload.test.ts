import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { hsKey, sign } from './helpers/keys.js'
import { type Running, serverPool } from './helpers/process.js'
import { referenceHash } from './helpers/reference.js'

// SECRETS_FILE reloads on the built server: SIGHUP, file changes, broken and deleted files, a
// Kubernetes-style symlink swap. A bad reload keeps the last good set and never leaks a value.

const key = hsKey()
const SECRET_1 = 'first-secret-value-0001'
const SECRET_2 = 'second-secret-value-0002'
const LEAK = 'never-log-this-secret-9999'
// No secret in any line a server logged, whatever the test did with it.
const startServer = serverPool(afterEach, (server) => {
  for (const secret of [SECRET_1, SECRET_2, LEAK, key.secret])
    expect(server.lines.join('\n')).not.toContain(secret)
})

const inboxes = (entries: Record<string, string>) =>
  JSON.stringify({
    inboxes: Object.fromEntries(Object.entries(entries).map(([name, secret]) => [name, { secret }])),
  })

async function start(secretsFile: string, env: Record<string, string> = {}) {
  return startServer({ JWT_SECRET: key.secret, SECRETS_FILE: secretsFile, ...env })
}

async function hashFor(server: Running, inbox: string): Promise<{ status: number; hash?: string }> {
  const jwt = await sign(key, { sub: 'user-1' })
  const response = await fetch(`${server.url}/v1/identity?inbox=${inbox}`, {
    headers: { authorization: `Bearer ${jwt}` },
  })
  const body = (await response.json()) as { identifier_hash?: string }
  return { status: response.status, hash: body.identifier_hash }
}

async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error('condition not met in time')
}
const logged = (server: Running, text: string) => server.lines.some((line) => line.includes(text))
const reloads = async (server: Running, outcome: string) => {
  const text = await (await fetch(`${server.url}/metrics`)).text()
  return Number(new RegExp(`secrets_reloads_total\\{outcome="${outcome}"\\} (\\d+)`).exec(text)?.[1] ?? 0)
}

describe('secrets file reloads', () => {
  it('reloads on SIGHUP', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ci-reload-'))
    const file = join(dir, 'secrets.json')
    writeFileSync(file, inboxes({ website: SECRET_1 }))
    const server = await start(file)
    expect(await hashFor(server, 'website')).toEqual({ status: 200, hash: referenceHash(SECRET_1, 'user-1') })
    writeFileSync(file, inboxes({ website: SECRET_2, shop: SECRET_1 }))
    // Sent at once, before the watcher's debounce fires: the signal does the reload.
    server.child.kill('SIGHUP')
    await waitFor(async () => (await hashFor(server, 'website')).hash === referenceHash(SECRET_2, 'user-1'))
    await waitFor(() =>
      server.lines.some((line) => line.includes('"reason":"SIGHUP"') && line.includes('secrets reloaded')),
    )
    expect((await hashFor(server, 'shop')).status).toBe(200)
    expect(await reloads(server, 'ok')).toBeGreaterThanOrEqual(1)
  })

  it('reloads when the file changes on disk, without a signal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ci-reload-'))
    const file = join(dir, 'secrets.json')
    writeFileSync(file, inboxes({ website: SECRET_1 }))
    const server = await start(file)
    writeFileSync(`${file}.tmp`, inboxes({ website: SECRET_2 }))
    renameSync(`${file}.tmp`, file) // an atomic replace, as editors and config tools do
    await waitFor(async () => (await hashFor(server, 'website')).hash === referenceHash(SECRET_2, 'user-1'))
  })

  it.each([
    ['broken JSON', (file: string) => writeFileSync(file, `{"inboxes": {"website": {"secret": "${LEAK}"`)],
    [
      'the wrong shape',
      (file: string) => writeFileSync(file, JSON.stringify({ inboxes: { website: { secret: 7 } } })),
    ],
    ['no inbox left', (file: string) => writeFileSync(file, inboxes({}))],
    ['a deleted file', (file: string) => rmSync(file)],
  ])(
    'keeps the last good set after %s, logged without values, readiness unchanged',
    async (_name, breakIt) => {
      const dir = mkdtempSync(join(tmpdir(), 'ci-reload-'))
      const file = join(dir, 'secrets.json')
      writeFileSync(file, inboxes({ website: SECRET_1 }))
      const server = await start(file)
      breakIt(file)
      server.child.kill('SIGHUP')
      await waitFor(async () => (await reloads(server, 'error')) >= 1)
      // The line may arrive through the pipe after the metric that counts it.
      await waitFor(() => logged(server, 'secrets reload failed; keeping the last good set'))
      expect(await hashFor(server, 'website')).toEqual({
        status: 200,
        hash: referenceHash(SECRET_1, 'user-1'),
      })
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200)
      // A good file afterwards is taken again.
      writeFileSync(file, inboxes({ website: SECRET_2 }))
      server.child.kill('SIGHUP')
      await waitFor(async () => (await hashFor(server, 'website')).hash === referenceHash(SECRET_2, 'user-1'))
    },
  )

  it('rejects a reload that defines an environment inbox again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ci-reload-'))
    const file = join(dir, 'secrets.json')
    writeFileSync(file, inboxes({ shop: SECRET_1 }))
    const server = await start(file, { CHATWOOT_INBOX_WEBSITE_SECRET: SECRET_2 })
    writeFileSync(file, inboxes({ shop: SECRET_1, Website: LEAK }))
    server.child.kill('SIGHUP')
    await waitFor(async () => (await reloads(server, 'error')) >= 1)
    await waitFor(() => logged(server, 'defined twice'))
    expect((await hashFor(server, 'website')).hash).toBe(referenceHash(SECRET_2, 'user-1'))
  })

  it('follows a Kubernetes-style ..data symlink swap', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ci-k8s-'))
    const writeVersion = (name: string, content: string) => {
      mkdirSync(join(dir, name))
      writeFileSync(join(dir, name, 'secrets.json'), content)
    }
    writeVersion('..2026_11_24_01', inboxes({ website: SECRET_1 }))
    symlinkSync('..2026_11_24_01', join(dir, '..data'))
    symlinkSync('..data/secrets.json', join(dir, 'secrets.json'))
    const server = await start(join(dir, 'secrets.json'))
    expect((await hashFor(server, 'website')).hash).toBe(referenceHash(SECRET_1, 'user-1'))
    // What the kubelet does: a new timestamped directory, a temporary link, renamed over ..data.
    writeVersion('..2026_11_24_02', inboxes({ website: SECRET_2 }))
    symlinkSync('..2026_11_24_02', join(dir, '..data_tmp'))
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'))
    rmSync(join(dir, '..2026_11_24_01'), { recursive: true })
    await waitFor(async () => (await hashFor(server, 'website')).hash === referenceHash(SECRET_2, 'user-1'))
  })
})
