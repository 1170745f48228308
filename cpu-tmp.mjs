import { spawn, spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { SignJWT } from 'jose'
const secret = 'x'.repeat(32), key = 'k'.repeat(32)
const env = { PATH: process.env.PATH, JWT_SECRET: secret, CHATWOOT_INBOX_WEBSITE_SECRET: 'inbox', HOST: '127.0.0.1', VERIFY_API_KEYS: key }
const now = Math.floor(Date.now() / 1000)
const verify = [], identity = []
for (let i = 0; i < 1000; i++) verify.push(['POST', '/v1/identity/verify', 'Bearer ' + key, JSON.stringify({ identifier: 'user-' + i, identifier_hash: randomBytes(32).toString('hex') })].join('\t'))
for (let i = 0; i < 1000; i++) identity.push(['GET', '/v1/identity', 'Bearer ' + await new SignJWT({ sub: 'user-' + i }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt(now).setExpirationTime(now + 3600).sign(Buffer.from(secret)), ''].join('\t'))
writeFileSync('/tmp/v.tsv', verify.join('\n')); writeFileSync('/tmp/i.tsv', identity.join('\n'))
const stat = (pid) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return [Number(f[11]), Number(f[12])] }
async function run(script, port, file, extraEnv = {}) {
  const child = spawn(process.execPath, [script], { env: { ...env, PORT: String(port), ...extraEnv }, stdio: 'ignore' })
  await new Promise(r => setTimeout(r, 1500))
  spawnSync('wrk', ['-t1', '-c32', '-d2s', '-s', 'bench/tokens.lua', `http://127.0.0.1:${port}`], { env: { ...process.env, BENCH_REQUESTS: file }, encoding: 'utf8' })
  const [u0, s0] = stat(child.pid)
  const r = spawnSync('wrk', ['-t1', '-c32', '-d5s', '-s', 'bench/tokens.lua', `http://127.0.0.1:${port}`], { env: { ...process.env, BENCH_REQUESTS: file }, encoding: 'utf8' })
  const [u1, s1] = stat(child.pid)
  const n = Number(/RESULT (\d+)/.exec(r.stdout)[1])
  child.kill('SIGKILL')
  console.log(script.padEnd(16), (file || 'hello').padEnd(10), 'user µs/req', ((u1 - u0) * 1e4 / n).toFixed(1), 'sys µs/req', ((s1 - s0) * 1e4 / n).toFixed(1), 'n', n)
}
await run('bench/floor.mjs', 18501, '')
await run('dist/server.js', 18502, '/tmp/i.tsv')
await run('dist/server.js', 18503, '/tmp/v.tsv')
await run('bench/floor.mjs', 18504, '')
