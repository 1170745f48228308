import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Deployment } from 'kubernetes-models/apps/v1'
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2'
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1'
import { Secret, Service } from 'kubernetes-models/v1'
import { describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { loadConfig } from '../src/config.js'

// deploy/kubernetes/ checked against the Kubernetes API schemas (kubernetes-models), then for what the
// schemas cannot say: that the pieces fit each other and the service.

const DIR = new URL('../deploy/kubernetes/', import.meta.url)
const MODELS = {
  'apps/v1/Deployment': Deployment,
  'v1/Service': Service,
  'v1/Secret': Secret,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
} as const

type Manifest = { apiVersion: string; kind: string; metadata: { name: string }; [key: string]: unknown }

const files = readdirSync(DIR).filter((name) => name.endsWith('.yaml') && name !== 'kustomization.yaml')
const manifests: (Manifest & { file: string })[] = files.flatMap((file) =>
  parseAllDocuments(readFileSync(new URL(file, DIR), 'utf8')).map((doc) => ({
    ...(doc.toJS() as Manifest),
    file,
  })),
)

function validate(manifest: Manifest): void {
  const Model = MODELS[`${manifest.apiVersion}/${manifest.kind}` as keyof typeof MODELS]
  if (!Model) throw new Error(`no schema for ${manifest.apiVersion} ${manifest.kind}`)
  new Model(manifest as never).validate()
}

function find<T>(kind: string): T {
  const found = manifests.filter((m) => m.kind === kind)
  expect(found, kind).toHaveLength(1)
  return found[0] as T
}

// Only the fields this test reads; the schemas check the rest.
interface DeploymentShape {
  metadata: { name: string }
  spec: {
    selector: { matchLabels: Record<string, string> }
    template: {
      metadata: { labels: Record<string, string> }
      spec: {
        terminationGracePeriodSeconds: number
        automountServiceAccountToken: boolean
        securityContext: Record<string, unknown>
        containers: {
          name: string
          ports: { name: string; containerPort: number }[]
          env: { name: string; value: string }[]
          volumeMounts: { name: string; mountPath: string; readOnly?: boolean; subPath?: string }[]
          readinessProbe: { httpGet: { path: string; port: string } }
          livenessProbe: { httpGet: { path: string; port: string } }
          resources: { requests: Record<string, string>; limits: Record<string, string> }
          securityContext: Record<string, unknown>
        }[]
        volumes: { name: string; secret?: { secretName: string; defaultMode?: number } }[]
      }
    }
  }
}

const deployment = find<DeploymentShape>('Deployment')
const pod = deployment.spec.template.spec
const container = pod.containers[0] as DeploymentShape['spec']['template']['spec']['containers'][number]
const env = Object.fromEntries(container.env.map(({ name, value }) => [name, value]))
const labels = deployment.spec.selector.matchLabels

describe('deploy/kubernetes', () => {
  it('holds a Deployment, Service, PodDisruptionBudget and HorizontalPodAutoscaler, listed by kustomization.yaml', () => {
    expect(manifests.map((m) => m.kind).sort()).toEqual([
      'Deployment',
      'HorizontalPodAutoscaler',
      'PodDisruptionBudget',
      'Secret',
      'Service',
    ])
    const kustomization = parseAllDocuments(
      readFileSync(new URL('kustomization.yaml', DIR), 'utf8'),
    )[0]?.toJS()
    // The example Secret stays out: a real one is created from files.
    expect([...kustomization.resources].sort()).toEqual(files.filter((f) => !f.includes('example')).sort())
  })

  it.each(manifests.map((m) => [`${m.file}: ${m.kind} ${m.metadata.name}`, m] as const))(
    '%s is valid against the Kubernetes schema',
    (_name, manifest) => {
      expect(() => validate(manifest)).not.toThrow()
    },
  )

  it('the schema check does catch a broken manifest', () => {
    const broken = structuredClone(deployment) as unknown as DeploymentShape
    ;(broken.spec.template.spec.containers[0] as { ports: unknown[] }).ports = [{ containerPort: 'http' }]
    expect(() => validate(broken as unknown as Manifest)).toThrow(/containerPort must be integer/)
  })

  it('probes /readyz for readiness and /healthz for liveness, on the port the service listens on', () => {
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' })
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' })
    expect(container.ports).toEqual([{ name: 'http', containerPort: Number(env.PORT) }])
  })

  it('gives the kubelet longer than the service needs to stop', () => {
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(Number(env.SHUTDOWN_TIMEOUT_SECONDS))
  })

  it('runs as the image’s non-root user, read-only, without capabilities or privilege escalation', () => {
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532 })
    expect(readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8')).toContain('USER 65532:65532')
    expect(container.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    })
    expect(pod.automountServiceAccountToken).toBe(false)
  })

  it('sets resources, with the CPU request the autoscaler measures against', () => {
    expect(container.resources.requests).toMatchObject({
      cpu: expect.any(String),
      memory: expect.any(String),
    })
    expect(container.resources.limits).toMatchObject({ memory: expect.any(String) })
  })

  it('mounts the inbox secrets as a directory (so updates reach the pod) and points SECRETS_FILE into it', () => {
    const mount = container.volumeMounts.find((m) => m.name === 'secrets')
    expect(mount).toMatchObject({ readOnly: true })
    expect(mount?.subPath).toBeUndefined()
    const volume = pod.volumes.find((v) => v.name === 'secrets')
    expect(volume?.secret?.secretName).toBe('chatwoot-identity-secrets')
    expect(volume?.secret?.defaultMode).toBe(0o440)
    for (const variable of ['SECRETS_FILE', 'JWT_SECRET_FILE'])
      expect(env[variable]?.startsWith(`${mount?.mountPath}/`), variable).toBe(true)
  })

  it('gives the service a configuration it accepts, from the Secret’s keys', () => {
    const secret = find<{ metadata: { name: string }; stringData: Record<string, string> }>('Secret')
    expect(secret.metadata.name).toBe('chatwoot-identity-secrets')
    const mountPath = container.volumeMounts.find((m) => m.name === 'secrets')?.mountPath as string
    // The Secret's keys as the kubelet writes them: one file each, in a directory.
    const dir = mkdtempSync(join(tmpdir(), 'ci-k8s-'))
    for (const [key, value] of Object.entries(secret.stringData)) {
      expect(value).toContain('EXAMPLE-ONLY')
      writeFileSync(join(dir, key), value)
    }
    const local = Object.fromEntries(
      Object.entries(env).map(([name, value]) => [name, value.replace(`${mountPath}/`, `${dir}/`)]),
    )
    const config = loadConfig(local)
    expect(config.secretsFile?.path).toBe(join(dir, 'inboxes.json'))
    expect([...(config.secretsFile?.inboxes.keys() ?? [])]).toEqual(['website'])
    expect(config.port).toBe(8080)
  })

  it('selects the Deployment’s pods from the Service, PodDisruptionBudget and autoscaler', () => {
    expect(deployment.spec.template.metadata.labels).toMatchObject(labels)
    const service = find<{ spec: { selector: Record<string, string>; ports: { targetPort: string }[] } }>(
      'Service',
    )
    expect(service.spec.selector).toEqual(labels)
    expect(service.spec.ports.map((p) => p.targetPort)).toEqual(['http'])
    const pdb = find<{ spec: { selector: { matchLabels: Record<string, string> }; minAvailable: number } }>(
      'PodDisruptionBudget',
    )
    expect(pdb.spec.selector.matchLabels).toEqual(labels)
    expect(pdb.spec.minAvailable).toBeGreaterThanOrEqual(1)
    const hpa = find<{ spec: { scaleTargetRef: Record<string, string>; minReplicas: number } }>(
      'HorizontalPodAutoscaler',
    )
    expect(hpa.spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: deployment.metadata.name,
    })
    // Above the PodDisruptionBudget's floor, so a drain never blocks on the last pod.
    expect(hpa.spec.minReplicas).toBeGreaterThan(pdb.spec.minAvailable)
  })
})
