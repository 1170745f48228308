import fastJson from 'fast-json-stringify'
import type { FastifySerializerCompiler } from 'fastify'
import { z } from 'zod'

/**
 * Responses are written by fast-json-stringify, compiled once per route from the zod schema's JSON
 * Schema: the zod schemas stay the one source of truth, and no zod runs per response. Only declared
 * properties are ever written (`additionalProperties: false`), so nothing undeclared can leak out.
 */
export const serializerCompiler: FastifySerializerCompiler<z.ZodType> = ({ schema }) => {
  const {
    $schema: _dialect,
    id: _id,
    ...json
  } = z.toJSONSchema(schema, { target: 'draft-7', io: 'output' }) as Record<string, unknown>
  return fastJson(json) as (data: unknown) => string
}
