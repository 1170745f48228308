import { z } from 'zod'
import { PROBLEMS, type ProblemCode } from './problems.js'

// The one source of the API's shapes: routes validate with these, handlers are typed by them,
// and openapi.yaml is generated from them.

const inboxParam = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/)
  .describe(
    'Inbox to sign for, looked up by its canonical name (lowercase, runs of other characters as `_`); ' +
      'an inbox read from Chatwoot is also found by its Chatwoot id, `website_token` or `inbox_identifier` ' +
      '(exact match). Answers always name the canonical name. ' +
      'May be left out when exactly one inbox is configured.',
  )

const identifierHash = z
  .string()
  .regex(/^[0-9a-f]{64}$/)
  .describe('Lowercase hex HMAC-SHA256 of the identifier, keyed with the inbox secret')

const profileField = (variable: string, what: string) =>
  z
    .string()
    .min(1)
    .optional()
    .describe(
      `${what}, for setUser: the string value of the claim named by ${variable}; absent when ` +
        `${variable} is unset or the claim is missing or not a non-empty string`,
    )

export const IdentityQuery = z.object({ inbox: inboxParam.optional() })

export const IdentityResponse = z
  .object({
    inbox: z.string().describe('Canonical name of the inbox whose secret signed the identifier'),
    identifier: z.string().min(1).describe('The Chatwoot contact identifier, from the verified token'),
    identifier_hash: identifierHash,
    // Optional profile fields, present only when configured and the token carries them as a string.
    name: profileField('NAME_CLAIM', "The contact's name"),
    email: profileField('EMAIL_CLAIM', "The contact's email address"),
    avatar_url: profileField('AVATAR_URL_CLAIM', "URL of the contact's avatar"),
    phone_number: profileField('PHONE_NUMBER_CLAIM', "The contact's phone number"),
  })
  .meta({ id: 'IdentityResponse' })

export const VerifyRequest = z
  .object({
    inbox: inboxParam.optional(),
    identifier: z
      .union([z.string().min(1), z.int()])
      .describe('A non-empty string, or a safe integer taken as its decimal string'),
    identifier_hash: z
      .string()
      .describe('The hash to check; anything but 64 lowercase hex characters is simply not valid'),
  })
  .meta({ id: 'VerifyRequest' })

export const VerifyResponse = z
  .object({ valid: z.boolean().describe('Exactly what Chatwoot would decide for this pair and inbox') })
  .meta({ id: 'VerifyResponse' })

export const SdkQuery = z.object({
  v: z
    .string()
    .max(64)
    .optional()
    .describe('Version (the ETag without quotes): the current one makes the answer immutable'),
})
export const SdkScript = z.string().describe('The script (JavaScript, a few KB)')
export const NotModified = z.null().describe('Not modified: the If-None-Match ETag is current')

export const HealthResponse = z.object({ status: z.literal('ok') }).meta({ id: 'HealthResponse' })
export const ReadyResponse = z.object({ status: z.literal('ready') }).meta({ id: 'ReadyResponse' })

export const Problem = z
  .object({
    type: z.string().describe('urn:chatwoot-identity:problem:<code>'),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    code: z
      .enum(Object.keys(PROBLEMS) as [ProblemCode, ...ProblemCode[]])
      .describe('Stable machine-readable reason'),
    unmet: z.array(z.string()).optional().describe('On /readyz: the conditions not yet met'),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' })

/** The problem responses of a route, by status, each documented with the codes it can carry. */
export function problemResponses(...codes: ProblemCode[]) {
  const byStatus = new Map<number, ProblemCode[]>()
  for (const code of codes) {
    const status = PROBLEMS[code].status
    byStatus.set(status, [...(byStatus.get(status) ?? []), code])
  }
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => [
      status,
      Problem.describe(`Problem: ${list.map((c) => `\`${c}\``).join(', ')}`),
    ]),
  )
}
