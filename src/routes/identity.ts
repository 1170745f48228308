import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { z } from 'zod'
import type { Config } from '../config.js'
import {
  type Claims,
  IdentifierHashMemo,
  identifierHash,
  lookupClaim,
  matchesIdentifierHash,
  normaliseIdentifier,
  profileFromClaims,
} from '../identity.js'
import cors from '../plugins/cors.js'
import { Problem } from '../problems.js'
import type { Inbox } from '../secrets.js'
import { serializerCompiler } from '../serializer.js'
import {
  IdentityQuery,
  IdentityResponse,
  problemResponses,
  VerifyRequest,
  VerifyResponse,
} from '../schemas.js'
import { VERIFY_ROUTE, verifyFastPath } from './verify-fast-path.js'

const AUTH_PROBLEMS = [
  'missing_token',
  'invalid_authorization',
  'token_malformed',
  'token_too_large',
  'invalid_signature',
  'algorithm_not_allowed',
  'token_expired',
  'token_not_yet_valid',
  'claim_missing',
  'claim_invalid',
  'invalid_issuer',
  'invalid_audience',
  'unknown_key',
  'invalid_token',
  'rate_limited',
  'not_ready',
] as const

/** Verify hashes remembered, all service keys and inboxes together (a few MB at most). */
export const VERIFY_MEMO_ENTRIES = 10_000

type Hook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void

// Answers of /v1 are per user and must never be stored by a cache, errors included: set before
// authentication decides anything (one hook rather than two).
const noStore =
  (authenticate: Hook): Hook =>
  (request, reply, done) => {
    reply.header('cache-control', 'no-store')
    authenticate(request, reply, done)
  }

// A string sent as JSON goes out as it is, without the route's serializer.
const sendSerialised = (reply: FastifyReply, body: string) =>
  reply.type('application/json; charset=utf-8').send(body)

const identityRoutes: FastifyPluginAsyncZod<{ config: Config }> = async (fastify, { config }) => {
  const claim = config.jwt.identifierClaim
  const { metrics } = fastify
  const { profileClaims } = config
  await fastify.register(cors, { origins: config.corsOrigins })

  // The only two verify answers, serialised once by the route's own schema.
  const serializeVerify = serializerCompiler({
    schema: VerifyResponse,
    method: 'POST',
    url: VERIFY_ROUTE,
    httpStatus: '200',
  })
  const validAnswer = serializeVerify({ valid: true })
  const invalidAnswer = serializeVerify({ valid: false })

  const serializeIdentity = serializerCompiler({
    schema: IdentityResponse,
    method: 'GET',
    url: '/v1/identity',
    httpStatus: '200',
  })
  // The answer for a token seen again, serialised once: the token cache hands back the same frozen
  // claims for as long as the token is still good, and a secrets reload makes new inbox objects, so
  // an entry can only be reused for that token and that exact secret, and goes with the token's entry.
  const answers = new WeakMap<Claims, { inbox: Inbox; body: string }>()

  // Hashes a service checked before, scoped per service key and inbox: one caller's timings never
  // reveal what another asked. Sessions get no memo.
  const memo = new IdentifierHashMemo(VERIFY_MEMO_ENTRIES)
  const expectedHash = (inbox: Inbox, serviceKeyId: string | null, identifier: string) =>
    serviceKeyId === null
      ? identifierHash(inbox.key, identifier)
      : memo.hash(inbox.key, serviceKeyId, inbox.name, identifier)

  /** The verify answer for a valid body: the route's handler and its fast path both answer with it. */
  const verifyAnswer = (
    { inbox: name, identifier, identifier_hash }: z.output<typeof VerifyRequest>,
    serviceKeyId: string | null,
  ): string => {
    const result = normaliseIdentifier(identifier)
    if (!result.ok) throw new Problem('invalid_request', `identifier ${result.detail}`)
    const inbox = fastify.inboxes.resolve(name)
    const valid = matchesIdentifierHash(expectedHash(inbox, serviceKeyId, result.identifier), identifier_hash)
    metrics.verifications.inc(valid ? 'valid' : 'invalid')
    return valid ? validAnswer : invalidAnswer
  }

  fastify.get(
    '/v1/identity',
    {
      onRequest: noStore(fastify.rateLimited(fastify.requireSession)),
      schema: {
        operationId: 'getIdentity',
        summary: 'Identity hash for the user of a session token',
        description:
          'Verifies the session JWT, takes the Chatwoot identifier from its claims and returns it with its ' +
          '`identifier_hash` for `window.$chatwoot.setUser(identifier, { identifier_hash, ...profile })`. ' +
          'The profile fields (`name`, `email`, `avatar_url`, `phone_number`) are present only when their ' +
          'claim variable is set and the token carries that claim as a non-empty string.',
        tags: ['identity'],
        security: [{ bearerAuth: [] }, { sessionCookie: [] }],
        querystring: IdentityQuery,
        response: {
          200: IdentityResponse,
          ...problemResponses(
            ...AUTH_PROBLEMS,
            'identifier_missing',
            'identifier_invalid',
            'inbox_required',
            'invalid_inbox',
            'invalid_request',
            'inbox_not_found',
          ),
        },
      },
    },
    (request, reply) => {
      // requireSession has set them, or answered 401.
      const claims = request.claims as Claims
      const known = answers.get(claims)
      // Only a valid identifier has an answer, so resolving the inbox first changes no error.
      if (known !== undefined && known.inbox === fastify.inboxes.resolve(request.query.inbox)) {
        metrics.hashesIssued.inc(known.inbox.name)
        sendSerialised(reply, known.body)
        return
      }
      const result = normaliseIdentifier(lookupClaim(claims, claim))
      if (!result.ok) {
        throw new Problem(
          result.reason === 'missing' ? 'identifier_missing' : 'identifier_invalid',
          `The token's ${claim} claim ${result.detail}`,
        )
      }
      const inbox = fastify.inboxes.resolve(request.query.inbox)
      const body = serializeIdentity({
        inbox: inbox.name,
        identifier: result.identifier,
        identifier_hash: identifierHash(inbox.key, result.identifier),
        ...(profileClaims.length > 0 ? profileFromClaims(claims, profileClaims) : {}),
      })
      answers.set(claims, { inbox, body })
      metrics.hashesIssued.inc(inbox.name)
      sendSerialised(reply, body)
    },
  )

  fastify.post(
    VERIFY_ROUTE,
    {
      onRequest: noStore(fastify.rateLimited(fastify.requireServiceOrSession)),
      schema: {
        operationId: 'verifyIdentity',
        summary: 'Check an identifier and hash pair',
        description:
          'Answers exactly what Chatwoot would decide for the pair and the inbox secret. A hash that is not ' +
          '64 lowercase hex characters is `valid: false`, not an error.',
        tags: ['identity'],
        security: [{ bearerAuth: [] }, { sessionCookie: [] }, { serviceKey: [] }],
        body: VerifyRequest,
        response: {
          200: VerifyResponse,
          ...problemResponses(
            ...AUTH_PROBLEMS,
            'inbox_required',
            'invalid_inbox',
            'invalid_request',
            'invalid_json',
            'unsupported_media_type',
            'inbox_not_found',
            'body_too_large',
          ),
        },
      },
    },
    (request, reply) => {
      sendSerialised(reply, verifyAnswer(request.body, request.serviceKeyId))
    },
  )
  const fastPath = verifyFastPath(fastify, { config, answer: verifyAnswer })
  if (fastPath) fastify.setFastPath(fastPath)
}

export default identityRoutes
