import type { FastifySerializerCompiler } from 'fastify'
import { z } from 'zod'

/** Every property name declared anywhere in a JSON Schema (its own and its definitions'). */
function declaredProperties(node: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const item of node) declaredProperties(item, into)
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'properties' && value && typeof value === 'object')
        for (const name of Object.keys(value)) into.add(name)
      declaredProperties(value, into)
    }
  }
  return into
}

/**
 * Responses are written by JSON.stringify with the route's zod schema as a whitelist: only declared
 * properties ever leave (nothing undeclared can leak), no zod runs per response, and no serializer
 * library (with its JSON Schema compiler) has to load at start-up.
 */
export const serializerCompiler: FastifySerializerCompiler<z.ZodType> = ({ schema }) => {
  const allowed = [...declaredProperties(z.toJSONSchema(schema, { io: 'output' }))]
  return (data) => JSON.stringify(data, allowed)
}
