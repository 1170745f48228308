import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import type { FastifyBaseLogger } from 'fastify'
import pino from 'pino'
import { describe, expect, it, vi } from 'vitest'
import {
  accessLogger,
  accessLogHook,
  asyncDestination,
  createLogger,
  isoTime,
  requestLoggerFactory,
} from '../src/logger.js'

function capture(level = 'info') {
  const lines: Record<string, unknown>[] = []
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()))
      done()
    },
  })
  return { lines, logger: pino({ level }, stream) as unknown as FastifyBaseLogger }
}

// What Fastify passes as the parent: its null logger, as it is given no logger of its own.
const fastifyLogger = capture().logger
const lazyChildLoggerFactory = (
  logger: FastifyBaseLogger,
  ...rest: [pino.Bindings, pino.ChildLoggerOptions]
) => requestLoggerFactory(logger as pino.Logger)(fastifyLogger, ...rest)

describe('requestLoggerFactory', () => {
  it('makes the child only when a line is logged, and then once, of the service logger', () => {
    const { lines, logger } = capture()
    const child = vi.spyOn(logger, 'child')
    const ignored = vi.spyOn(fastifyLogger, 'child')
    const requestLog = lazyChildLoggerFactory(logger, { reqId: 'r-1' }, {})
    expect(child).not.toHaveBeenCalled()
    expect(requestLog.level).toBe('info')

    requestLog.info({ code: 'x' }, 'first')
    requestLog.warn('second')
    requestLog.debug('not logged at info')
    expect(child).toHaveBeenCalledTimes(1)
    expect(ignored).not.toHaveBeenCalled()
    expect(lines.map((l) => [l.reqId, l.msg, l.level])).toEqual([
      ['r-1', 'first', 30],
      ['r-1', 'second', 40],
    ])
    expect(lines[0]).toMatchObject({ code: 'x' })
  })

  it('serialises errors and makes grandchildren like pino does', () => {
    const { lines, logger } = capture()
    const requestLog = lazyChildLoggerFactory(logger, { reqId: 'r-2' }, {})
    requestLog.error(new Error('boom'))
    requestLog.child({ part: 'inner' }).info('nested')
    expect(lines[0]).toMatchObject({ reqId: 'r-2', msg: 'boom', err: { type: 'Error', message: 'boom' } })
    expect(lines[1]).toMatchObject({ reqId: 'r-2', part: 'inner', msg: 'nested' })
  })

  it('honours a level given for the child, and a level set on it later', () => {
    const { lines, logger } = capture()
    const quiet = lazyChildLoggerFactory(logger, { reqId: 'r-3' }, { level: 'warn' })
    expect(quiet.level).toBe('warn')
    quiet.info('dropped')
    quiet.level = 'debug'
    quiet.debug('kept')
    expect(lines.map((l) => l.msg)).toEqual(['kept'])
  })
})

describe('accessLogger', () => {
  it('writes to the same destination, in order, at the same level', () => {
    const { lines, logger } = capture('warn')
    const access = accessLogger(logger as never)
    expect(access.level).toBe('warn')
    logger.warn('first')
    access.info('dropped at warn')
    access.warn({ reqId: 'r-4', status: 503 }, 'request')
    logger.error('third')
    expect(lines.map((l) => l.msg)).toEqual(['first', 'request', 'third'])
    expect(lines[1]).toMatchObject({ reqId: 'r-4', status: 503, level: 'warn' })
  })

  it('formats lines as the service logger does', () => {
    const chunks: string[] = []
    const service = createLogger({ logLevel: 'info' })
    // Same options as createLogger's, on a capturing stream in place of stdout.
    const stream = new Writable({
      write(chunk, _encoding, done) {
        chunks.push(chunk.toString())
        done()
      },
    })
    const symbols = pino.symbols as unknown as { streamSym: symbol }
    ;(service as unknown as Record<symbol, unknown>)[symbols.streamSym] = stream
    accessLogger(service).info({ reqId: 'r-5' }, 'request')
    const line = JSON.parse(chunks[0] as string)
    expect(line).toMatchObject({ level: 'info', service: 'chatwoot-identity', reqId: 'r-5', msg: 'request' })
    expect(line.time).toMatch(/^\d{4}-\d{2}-\d{2}T/)
  })
})

describe('accessLogHook', () => {
  const request = { id: 'r-6', method: 'GET', routeOptions: { url: '/v1/identity' }, receivedAt: 0 }
  // Fastify's own elapsedTime, which is 0 without response listeners, is not the duration.
  const reply = { statusCode: 500, elapsedTime: 0 }

  it('writes one line of fixed fields per request, then lets the answer go on unchanged', () => {
    const { lines, logger } = capture()
    const done = vi.fn()
    const payload = '{"valid":true}'
    request.receivedAt = performance.now() - 1.234
    accessLogHook(logger as unknown as pino.Logger)(request as never, reply as never, payload, done)
    expect(done).toHaveBeenCalledWith(null, payload)
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'info',
        service: 'chatwoot-identity',
        reqId: 'r-6',
        method: 'GET',
        route: '/v1/identity',
        status: 500,
        durationMs: expect.any(Number),
        msg: 'request',
      }),
    ])
    // From the request's first hook (metrics' stamp) to now.
    expect(lines[0]?.durationMs).toBeGreaterThanOrEqual(1.23)
    expect(lines[0]?.durationMs).toBeLessThan(1000)
    const unmatched = { ...request, routeOptions: {} }
    accessLogHook(logger as unknown as pino.Logger)(unmatched as never, reply as never, payload, done)
    expect(lines[1]).toMatchObject({ route: '(no route)' })
  })
})

describe('isoTime', () => {
  it("is pino's isoTime, made once per millisecond", () => {
    const at = Date.UTC(2026, 11, 2, 6, 0, 0, 123)
    const now = vi.spyOn(Date, 'now').mockReturnValue(at)
    try {
      const first = isoTime()
      expect(first).toBe(',"time":"2026-12-02T06:00:00.123Z"')
      expect(first).toBe(pino.stdTimeFunctions.isoTime())
      const toISOString = vi.spyOn(Date.prototype, 'toISOString')
      expect(isoTime()).toBe(first)
      expect(toISOString).not.toHaveBeenCalled()
      now.mockReturnValue(at + 1)
      expect(isoTime()).toBe(',"time":"2026-12-02T06:00:00.124Z"')
      expect(toISOString).toHaveBeenCalledTimes(1)
    } finally {
      vi.restoreAllMocks()
    }
  })
})

describe('asyncDestination', () => {
  it('writes every line whole and in order to its file descriptor, multi-byte characters included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logs-'))
    const path = join(dir, 'out.log')
    const fd = openSync(path, 'w')
    try {
      const logger = createLogger({ logLevel: 'info' }, asyncDestination(fd))
      // Multi-byte characters: a line's length in characters is not its length in bytes.
      const text = 'é€😀 \u2028 "quoted" \\'
      const count = 5000
      for (let i = 0; i < count; i++) logger.info({ i, text }, `line ${i}`)
      // The writes are asynchronous: the lines arrive as those in flight complete.
      await vi.waitFor(
        () => expect(readFileSync(path, 'utf8').endsWith(`"msg":"line ${count - 1}"}\n`)).toBe(true),
        {
          timeout: 10_000,
        },
      )
      const lines = readFileSync(path, 'utf8')
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line))
      expect(lines.map((line) => line.i)).toEqual([...Array(count).keys()])
      expect(lines.every((line) => line.text === text && line.service === 'chatwoot-identity')).toBe(true)
    } finally {
      closeSync(fd)
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
