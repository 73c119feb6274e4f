// The Helm chart as a platform team reviews it: lint and render with the real Helm library (helm-java), every
// rendered object checked against the Kubernetes API schemas, and the security, probe, resource, hook-order
// and secret-handling rules asserted on the rendered manifests.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@triage/testing';
import { stringify } from 'yaml';
import { containersOf, isHook, podSpecOf, readManifests, renderChart, schemaErrors, type Manifest } from './rendered-manifests';

const ROOT = repoRoot();
const CHART = join(ROOT, 'helm/triage-mesh');
const SERVICES = ['ingest', 'inference', 'routing', 'reporting', 'audit'];
// What a user keeps in the Secrets the chart references; none of it may appear in a rendered manifest.
const PASSWORD = 'Pa55-Kafka-ZZ-7Q';
const DB_URL = 'postgresql://audit:Db-Pa55-ZZ-9W@db.internal:5432/audit';

describe('helm/triage-mesh rendered with the real Helm library', () => {
  const out = mkdtempSync(join(tmpdir(), 'chart-check-'));
  const rendered = new Map<string, Manifest[]>();
  let lint = '';

  beforeAll(() => {
    // The Secrets an operator creates beside the release; the values name them and never hold their content.
    writeFileSync(
      join(out, 'operator-secrets.yaml'),
      [
        { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'kafka-creds' }, stringData: { user: 'mesh', pass: PASSWORD } },
        { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'audit-db' }, stringData: { url: DB_URL } },
      ]
        .map((s) => stringify(s))
        .join('---\n'),
    );
    writeFileSync(
      join(out, 'values-secrets.yaml'),
      stringify({
        kafka: { tls: { enabled: true }, sasl: { mechanism: 'scram-sha-256', existingSecret: 'kafka-creds', usernameKey: 'user', passwordKey: 'pass' } },
        postgresql: { existingSecret: 'audit-db', urlKey: 'url' },
      }),
    );
    const run = renderChart(ROOT, out, {
      default: [],
      production: [join(CHART, 'values-production.yaml')],
      secrets: [join(CHART, 'values-production.yaml'), join(out, 'values-secrets.yaml')],
    });
    if (run.status !== 0) throw new Error(`render-chart.sh exited ${run.status}:\n${run.output}`);
    for (const name of ['default', 'production', 'secrets']) rendered.set(name, readManifests(out, name));
    lint = readFileSync(join(out, 'lint.txt'), 'utf8');
  }, 300_000);

  afterAll(() => rmSync(out, { recursive: true, force: true }));

  const cases = () => ['default', 'production', 'secrets'].map((name) => [name, rendered.get(name) ?? []] as const);

  it('lints clean (strict)', () => {
    expect(lint.split('\n')[0]).toBe('OK');
    expect(lint).not.toMatch(/\[(ERROR|WARNING)\]/);
  });

  it('renders every object a release needs, for the default and the production values', () => {
    const kinds = (name: string) => (rendered.get(name) ?? []).map((m) => m.kind);
    for (const name of ['default', 'production']) {
      for (const kind of ['Deployment', 'Service', 'ConfigMap', 'ServiceAccount', 'NetworkPolicy']) {
        expect(kinds(name).filter((k) => k === kind)).toHaveLength(SERVICES.length);
      }
      expect(kinds(name).filter((k) => k === 'Job')).toHaveLength(2);
      expect(kinds(name).filter((k) => k === 'Pod')).toHaveLength(1);
    }
    const production = rendered.get('production') ?? [];
    const hpa = production.filter((m) => m.kind === 'HorizontalPodAutoscaler').map((m) => m.metadata.name);
    expect(hpa).toEqual(expect.arrayContaining(['triage-triage-mesh-ingest', 'triage-triage-mesh-inference']));
    expect(production.filter((m) => m.kind === 'PodDisruptionBudget')).toHaveLength(SERVICES.length);
    expect(production.filter((m) => m.kind === 'PersistentVolumeClaim')).toHaveLength(1);
    // Defaults: ingest keeps instances in an emptyDir and nothing autoscales.
    expect(kinds('default')).not.toContain('PersistentVolumeClaim');
    expect(kinds('default')).not.toContain('HorizontalPodAutoscaler');
  });

  it('every rendered object is valid against the Kubernetes API schema of its kind', () => {
    for (const [name, manifests] of cases()) {
      const problems = manifests.map((m) => [`${name} ${m.kind}/${m.metadata.name}`, schemaErrors(m)]).filter(([, e]) => e);
      expect(problems).toEqual([]);
      expect(manifests.length).toBeGreaterThan(25);
    }
  });

  it('every container has requests and limits and a non-root, read-only, capability-free security context', () => {
    for (const [name, manifests] of cases()) {
      const workloads = manifests.filter((m) => podSpecOf(m));
      expect(workloads.length).toBe(SERVICES.length + 3);
      for (const w of workloads) {
        const pod = podSpecOf(w)!;
        expect({ what: `${name} ${w.kind}/${w.metadata.name}`, runAsNonRoot: pod.securityContext?.runAsNonRoot }).toEqual({
          what: `${name} ${w.kind}/${w.metadata.name}`,
          runAsNonRoot: true,
        });
        for (const c of containersOf(w)) {
          const where = `${name} ${w.kind}/${w.metadata.name}/${c.name}`;
          expect({ where, requests: Object.keys(c.resources?.requests ?? {}).sort() }).toEqual({ where, requests: ['cpu', 'memory'] });
          expect({ where, limits: Object.keys(c.resources?.limits ?? {}).sort() }).toEqual({ where, limits: ['cpu', 'memory'] });
          expect({ where, ...c.securityContext }).toMatchObject({
            where,
            runAsNonRoot: true,
            runAsUser: 10001,
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ['ALL'] },
          });
        }
      }
    }
  });

  it('every long-running service has liveness and readiness probes on its health endpoints', () => {
    for (const [, manifests] of cases()) {
      for (const d of manifests.filter((m) => m.kind === 'Deployment')) {
        for (const c of containersOf(d)) {
          expect([d.metadata.name, c.livenessProbe?.httpGet?.path, c.readinessProbe?.httpGet?.path]).toEqual([
            d.metadata.name,
            '/health/live',
            '/health/ready',
          ]);
        }
      }
    }
  });

  it('runs the migration as a pre-install/pre-upgrade hook before the topics Job, and both before the services', () => {
    for (const [, manifests] of cases()) {
      const jobs = manifests.filter((m) => m.kind === 'Job');
      const migrate = jobs.find((j) => j.metadata.name.endsWith('-migrate'))!;
      const topics = jobs.find((j) => j.metadata.name.endsWith('-topics'))!;
      expect(migrate.metadata.annotations?.['helm.sh/hook']?.split(',').sort()).toEqual(['pre-install', 'pre-upgrade']);
      expect(topics.metadata.annotations?.['helm.sh/hook']?.split(',').sort()).toEqual(['pre-install', 'pre-upgrade']);
      const weight = (m: Manifest) => Number(m.metadata.annotations?.['helm.sh/hook-weight'] ?? 0);
      expect(weight(migrate)).toBeLessThan(weight(topics));
      // No other pre-install hook runs before the migration; the services are ordinary release objects.
      const preInstall = manifests.filter((m) => m.metadata.annotations?.['helm.sh/hook']?.includes('pre-install'));
      expect(Math.min(...preInstall.map(weight))).toBe(weight(migrate));
      expect(manifests.filter((m) => m.kind === 'Deployment').some(isHook)).toBe(false);
      expect(containersOf(migrate)[0].command).toEqual(expect.arrayContaining(['migrate', 'deploy']));
      expect(containersOf(topics)[0].command?.join(' ')).toContain('provision-topics');
      const test = manifests.find((m) => m.kind === 'Pod')!;
      expect(test.metadata.annotations?.['helm.sh/hook']).toBe('test');
      expect(containersOf(test)[0].env?.find((e) => e.name === 'HEALTH_URLS')?.value?.split(' ')).toHaveLength(SERVICES.length);
    }
  });

  it('references secrets by name and key only: no secret value appears in any rendered manifest', () => {
    const text = readFileSync(join(out, 'operator-secrets.yaml'), 'utf8');
    expect(text).toContain(PASSWORD); // the fixture itself does hold the values
    for (const [name] of cases()) {
      const yaml = readFileSync(join(out, `${name}.yaml`), 'utf8');
      expect(yaml).not.toContain(PASSWORD);
      expect(yaml).not.toContain('Db-Pa55');
      expect(yaml).not.toMatch(/postgresql:\/\//);
      expect((rendered.get(name) ?? []).filter((m) => m.kind === 'Secret')).toEqual([]);
    }
    const manifests = rendered.get('secrets') ?? [];
    const secretEnv = manifests.flatMap((m) => containersOf(m).flatMap((c) => c.env ?? []))
      .filter((e) => ['DATABASE_URL', 'KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'].includes(e.name));
    expect(secretEnv.length).toBeGreaterThan(0);
    for (const e of secretEnv) {
      expect(e.value).toBeUndefined();
      expect(e.valueFrom?.secretKeyRef).toEqual(
        e.name === 'DATABASE_URL' ? { name: 'audit-db', key: 'url' } : { name: 'kafka-creds', key: e.name.endsWith('PASSWORD') ? 'pass' : 'user' },
      );
    }
    // Only audit and the migration reach the database.
    const withDb = manifests.filter((m) => containersOf(m).some((c) => c.env?.some((e) => e.name === 'DATABASE_URL')));
    expect(withDb.map((m) => m.metadata.name).sort()).toEqual(['triage-triage-mesh-audit', 'triage-triage-mesh-migrate']);
  });

  it('NetworkPolicy lets inference fetch pixels from ingest and only audit reach PostgreSQL', () => {
    const policies = (rendered.get('production') ?? []).filter((m) => m.kind === 'NetworkPolicy');
    const policy = (svc: string) => policies.find((p) => p.metadata.name === `triage-triage-mesh-${svc}`)!.spec as {
      ingress: Array<{ from?: Array<{ podSelector?: { matchLabels: Record<string, string> } }> }>;
      egress: Array<{ to?: Array<{ podSelector?: { matchLabels: Record<string, string> }; ipBlock?: { cidr: string } }>; ports: Array<{ port: number }> }>;
    };
    const egressToIngest = policy('inference').egress.some((r) =>
      r.to?.some((t) => t.podSelector?.matchLabels['app.kubernetes.io/component'] === 'ingest'),
    );
    expect(egressToIngest).toBe(true);
    const ingestFromInference = policy('ingest').ingress.some((r) =>
      r.from?.some((f) => f.podSelector?.matchLabels['app.kubernetes.io/component'] === 'inference'),
    );
    expect(ingestFromInference).toBe(true);
    const reachesPostgres = (svc: string) => policy(svc).egress.some((r) => r.ports.some((p) => p.port === 5432));
    expect(SERVICES.filter(reachesPostgres)).toEqual(['audit']);
  });
});

describe('values.schema.json rejects invalid values (the render fails)', () => {
  const out = mkdtempSync(join(tmpdir(), 'chart-reject-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it.each([
    ['sasl', { kafka: { sasl: { mechanism: 'gssapi' } } }],
    ['root', { securityContext: { runAsNonRoot: false } }],
    ['dburl', { services: { audit: { env: { DATABASE_URL: 'postgresql://u:p@h/db' } } } }],
    ['typo', { servics: {} }],
    ['replicas', { services: { inference: { replicas: 'two' } } }],
    ['nosecret', { postgresql: { existingSecret: '' } }],
  ])('%s', (name, values) => {
    const file = join(out, `${name}.values.yaml`);
    writeFileSync(file, stringify(values));
    const run = renderChart(ROOT, out, { [name]: [file] });
    expect(run.status).toBe(1);
    expect(() => readManifests(out, name)).toThrow(/schema/i);
  }, 120_000);
});
