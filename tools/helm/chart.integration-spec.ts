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
const PEER_SECRETS = { webhook: 'Whk-Secret-ZZ-3K', token: 'Ehr-Token-ZZ-5M', pseudonym: 'Pseudonym-Key-ZZ-0123456789abcdef0123' };
const SMART_KEY = '-----BEGIN PRIVATE KEY-----\nMIIEvQ-ZZ-SMART\n-----END PRIVATE KEY-----\n';
const name = (svc: string) => `triage-triage-mesh-${svc}`;

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
        { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'triage-routing-webhook' }, stringData: { 'webhook-secret': PEER_SECRETS.webhook } },
        { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'ehr-token' }, stringData: { tok: PEER_SECRETS.token } },
        { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'triage-audit-pseudonym' }, stringData: { 'pseudonym-key': PEER_SECRETS.pseudonym } },
        { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'triage-reporting-smart-key' }, stringData: { 'private-key.pem': SMART_KEY } },
      ]
        .map((s) => stringify(s))
        .join('---\n'),
    );
    writeFileSync(
      join(out, 'values-secrets.yaml'),
      stringify({
        kafka: { tls: { enabled: true }, sasl: { mechanism: 'scram-sha-256', existingSecret: 'kafka-creds', usernameKey: 'user', passwordKey: 'pass' } },
        postgresql: { existingSecret: 'audit-db', urlKey: 'url' },
        services: { reporting: { fhir: { tokenSecret: { name: 'ehr-token', key: 'tok' } } } },
      }),
    );
    // Ingest kept on a shared (ReadWriteMany) claim, still one replica.
    writeFileSync(
      join(out, 'values-rwx.yaml'),
      stringify({ services: { ingest: { persistence: { enabled: true, size: '1Gi', accessModes: ['ReadWriteMany'] } } } }),
    );
    const run = renderChart(ROOT, out, {
      default: [],
      production: [join(CHART, 'values-production.yaml')],
      secrets: [join(CHART, 'values-production.yaml'), join(out, 'values-secrets.yaml')],
      rwx: [join(out, 'values-rwx.yaml')],
    });
    if (run.status !== 0) throw new Error(`render-chart.sh exited ${run.status}:\n${run.output}`);
    for (const name of ['default', 'production', 'secrets', 'rwx']) rendered.set(name, readManifests(out, name));
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
        // Production adds ingest's listener Service (DIMSE and MLLP for peers outside the cluster).
        const extra = kind === 'Service' && name === 'production' ? 1 : 0;
        expect([kind, kinds(name).filter((k) => k === kind).length]).toEqual([kind, SERVICES.length + extra]);
      }
      expect(kinds(name).filter((k) => k === 'Job')).toHaveLength(2);
      expect(kinds(name).filter((k) => k === 'Pod')).toHaveLength(1);
    }
    const production = rendered.get('production') ?? [];
    // Ingest, routing and reporting own their DATA_DIR alone: one replica, so no HPA and no PDB (it would block drains).
    const hpa = production.filter((m) => m.kind === 'HorizontalPodAutoscaler').map((m) => m.metadata.name);
    expect(hpa).toEqual(['triage-triage-mesh-inference']);
    const pdb = production.filter((m) => m.kind === 'PodDisruptionBudget').map((m) => m.metadata.name).sort();
    expect(pdb).toEqual(['triage-triage-mesh-audit', 'triage-triage-mesh-inference']);
    const pvc = production.filter((m) => m.kind === 'PersistentVolumeClaim').map((m) => m.metadata.name).sort();
    expect(pvc).toEqual(['inference', 'ingest', 'reporting', 'routing'].map((s) => `triage-triage-mesh-${s}-data`));
    // Defaults: every DATA_DIR is an emptyDir and nothing autoscales.
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
      for (const secret of [...Object.values(PEER_SECRETS), 'ZZ-SMART']) expect(yaml).not.toContain(secret);
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

  it('points heatmap references at the inference Service, which the client peers may call', () => {
    expect(configOf('default', 'inference').INFERENCE_PUBLIC_URL).toBe('http://triage-triage-mesh-inference:8081');
    const clients = policyOf('production', 'inference').ingress.filter((r) => JSON.stringify(r.from).includes('ingress-nginx'));
    expect(clients.map((r) => r.ports.map((p) => p.port))).toEqual([['http']]);
  });

  const find = (caseName: string, kind: string, objectName: string) =>
    (rendered.get(caseName) ?? []).find((m) => m.kind === kind && m.metadata.name === objectName);
  const configOf = (caseName: string, svc: string) => (find(caseName, 'ConfigMap', name(svc)) as unknown as { data: Record<string, string> }).data;
  type PolicySpec = {
    ingress: Array<{ from?: unknown[]; ports: Array<{ port: number | string }> }>;
    egress: Array<{ to?: Array<{ ipBlock?: { cidr: string } }>; ports: Array<{ port: number | string }> }>;
  };
  const policyOf = (caseName: string, svc: string) => find(caseName, 'NetworkPolicy', name(svc))!.spec as unknown as PolicySpec;
  const ipEgress = (caseName: string, svc: string, cidr: string) =>
    policyOf(caseName, svc).egress.filter((r) => r.to?.some((t) => t.ipBlock?.cidr === cidr)).flatMap((r) => r.ports.map((p) => p.port));

  it('keeps DATA_DIR on a kept claim for ingest, routing, reporting and inference in production, an emptyDir by default', () => {
    for (const svc of SERVICES) {
      const volumes = (c: string) => (podSpecOf(find(c, 'Deployment', name(svc))!) as unknown as { volumes: Array<Record<string, unknown>> }).volumes;
      const data = (c: string) => volumes(c).find((v) => v.name === 'data')!;
      expect([svc, data('default').emptyDir]).toEqual([svc, {}]);
      const claim = find('production', 'PersistentVolumeClaim', `${name(svc)}-data`);
      if (svc === 'audit') {
        expect(claim).toBeUndefined();
        continue;
      }
      expect(data('production').persistentVolumeClaim).toEqual({ claimName: `${name(svc)}-data` });
      expect(claim!.metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
      const { accessModes } = claim!.spec as { accessModes: string[] };
      const deployment = find('production', 'Deployment', name(svc))!.spec as { replicas?: number; strategy: { type: string } };
      // One writer per DATA_DIR: a ReadWriteOnce claim, one replica, the old pod gone before the new one starts.
      expect([svc, accessModes, deployment.strategy.type]).toEqual(
        svc === 'inference' ? [svc, ['ReadWriteMany'], 'RollingUpdate'] : [svc, ['ReadWriteOnce'], 'Recreate'],
      );
      if (svc !== 'inference') expect([svc, deployment.replicas]).toEqual([svc, 1]);
      expect(configOf('production', svc).DATA_DIR).toBe('/var/lib/triage');
    }
    // A single-writer service never rolls onto its claim, even a shared one: two pods would write one DATA_DIR.
    expect((find('rwx', 'Deployment', name('ingest'))!.spec as { strategy: { type: string } }).strategy.type).toBe('Recreate');
  });

  it('opens the DICOM DIMSE and HL7 v2 MLLP listeners of ingest when enabled, and none by default', () => {
    expect(configOf('production', 'ingest')).toMatchObject({
      DIMSE_PORT: '11112',
      DIMSE_HOST: '0.0.0.0',
      DIMSE_AE_TITLE: 'TRIAGE_MESH',
      DIMSE_SOURCES: 'CT_ER1@10.40.1.21,MR_MAIN@10.40.1.35=30000,PACS@10.40.2.10',
      HL7_MLLP_PORT: '2575',
      HL7_MLLP_HOST: '0.0.0.0',
    });
    const ports = (c: string) => (containersOf(find(c, 'Deployment', name('ingest'))!)[0] as unknown as { ports: unknown[] }).ports;
    expect(ports('production')).toEqual([
      { name: 'http', containerPort: 8080, protocol: 'TCP' },
      { name: 'dicom', containerPort: 11112, protocol: 'TCP' },
      { name: 'mllp', containerPort: 2575, protocol: 'TCP' },
    ]);
    const servicePorts = (c: string, n: string) => (find(c, 'Service', n)!.spec as { ports: Array<{ name: string; port: number; targetPort: string }> }).ports;
    expect(servicePorts('production', name('ingest')).map((p) => [p.name, p.port, p.targetPort])).toEqual([
      ['http', 8080, 'http'],
      ['dicom', 11112, 'dicom'],
      ['mllp', 2575, 'mllp'],
    ]);
    const listeners = find('production', 'Service', `${name('ingest')}-listeners`)!;
    expect(listeners.spec).toMatchObject({ type: 'LoadBalancer', externalTrafficPolicy: 'Local', loadBalancerSourceRanges: ['10.40.0.0/16'] });
    expect(servicePorts('production', listeners.metadata.name).map((p) => p.name)).toEqual(['dicom', 'mllp']);
    expect(listeners.metadata.annotations?.['service.beta.kubernetes.io/aws-load-balancer-scheme']).toBe('internal');
    // NetworkPolicy: the listener ports are open to the client peers, and only to them.
    const rule = policyOf('production', 'ingest').ingress.find((r) => r.ports.some((p) => p.port === 'dicom'))!;
    expect(rule.ports.map((p) => p.port)).toEqual(['dicom', 'mllp']);
    expect(JSON.stringify(rule.from)).toContain('10.40.0.0/16');
    // Defaults: no listener, no env, no extra Service.
    expect(ports('default')).toHaveLength(1);
    expect(Object.keys(configOf('default', 'ingest')).filter((k) => /^(DIMSE|HL7_MLLP)_/.test(k))).toEqual([]);
    expect(find('default', 'Service', `${name('ingest')}-listeners`)).toBeUndefined();
    expect(JSON.stringify(policyOf('default', 'ingest').ingress)).not.toMatch(/dicom|mllp/);
  });

  it("gives reporting and routing their outbound peers, secrets only as Secret references, egress only to the peers' ports", () => {
    expect(configOf('production', 'reporting')).toMatchObject({
      REPORTING_FHIR_BASE_URL: 'https://ehr.example.org/fhir/R4',
      REPORTING_FHIR_AUTH: 'smart',
      REPORTING_SMART_TOKEN_URL: 'https://ehr.example.org/oauth2/token',
      REPORTING_SMART_CLIENT_ID: 'triage-mesh',
      REPORTING_SMART_KEY_FILE: '/etc/triage/smart/private-key.pem',
      REPORTING_MLLP_HOST: 'hl7.ehr.example.org',
      REPORTING_MLLP_PORT: '6661',
      REPORTING_SUBSCRIPTION_ALLOWED_ORIGINS: 'https://ehr.example.org,https://notify.ehr.example.org:8443',
    });
    expect(configOf('production', 'routing')).toMatchObject({
      ROUTING_WEBHOOK_URLS: 'https://worklist.example.org/hooks/priority',
      ROUTING_PAGER_URL: 'https://pager.example.org/v1/notify',
    });
    const reporting = find('secrets', 'Deployment', name('reporting'))!;
    const pod = podSpecOf(reporting) as unknown as { volumes: Array<{ name: string; secret?: unknown }> };
    expect(pod.volumes.find((v) => v.name === 'smart-key')?.secret).toEqual({
      secretName: 'triage-reporting-smart-key',
      defaultMode: 0o400,
      items: [{ key: 'private-key.pem', path: 'private-key.pem' }],
    });
    const mounts = (containersOf(reporting)[0] as unknown as { volumeMounts: Array<{ name: string; mountPath: string; readOnly?: boolean }> }).volumeMounts;
    expect(mounts.find((m) => m.name === 'smart-key')).toEqual({ name: 'smart-key', mountPath: '/etc/triage/smart', readOnly: true });
    const secretRef = (svc: string, env: string) =>
      containersOf(find('secrets', 'Deployment', name(svc))!)[0].env?.find((e) => e.name === env);
    expect(secretRef('routing', 'ROUTING_WEBHOOK_SECRET')).toEqual({ name: 'ROUTING_WEBHOOK_SECRET', valueFrom: { secretKeyRef: { name: 'triage-routing-webhook', key: 'webhook-secret' } } });
    expect(secretRef('reporting', 'REPORTING_FHIR_TOKEN')).toEqual({ name: 'REPORTING_FHIR_TOKEN', valueFrom: { secretKeyRef: { name: 'ehr-token', key: 'tok' } } });
    expect(secretRef('audit', 'AUDIT_PSEUDONYM_KEY')).toEqual({ name: 'AUDIT_PSEUDONYM_KEY', valueFrom: { secretKeyRef: { name: 'triage-audit-pseudonym', key: 'pseudonym-key' } } });
    // Egress to the outbound CIDRs: the EHR's HTTPS (FHIR, token endpoint) and MLLP ports, the rest-hook
    // origins' ports (the default one once), the webhooks' port.
    expect(ipEgress('production', 'reporting', '10.50.0.0/16')).toEqual([443, 6661, 8443]);
    expect(ipEgress('production', 'routing', '10.50.0.0/16')).toEqual([443]);
    for (const svc of ['ingest', 'inference', 'audit']) expect([svc, ipEgress('production', svc, '10.50.0.0/16')]).toEqual([svc, []]);
    // Defaults: no peer configured, so no peer settings and no egress beyond DNS and Kafka.
    expect(Object.keys(configOf('default', 'reporting')).filter((k) => /^REPORTING_/.test(k))).toEqual([]);
    for (const svc of ['routing', 'reporting']) expect(ipEgress('default', svc, '0.0.0.0/0')).toEqual([9092, 9093]);
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
    // Ingest kept on a shared (ReadWriteMany) claim, still one replica.
    writeFileSync(
      join(out, 'values-rwx.yaml'),
      stringify({ services: { ingest: { persistence: { enabled: true, size: '1Gi', accessModes: ['ReadWriteMany'] } } } }),
    );
    const run = renderChart(ROOT, out, { [name]: [file] });
    expect(run.status).toBe(1);
    expect(() => readManifests(out, name)).toThrow(/schema/i);
  }, 120_000);
});

describe('the chart refuses settings that would lose or leak data, with a clear message', () => {
  const out = mkdtempSync(join(tmpdir(), 'chart-refuse-'));
  const persistent = { enabled: true, size: '1Gi', accessModes: ['ReadWriteOnce'] };
  const cases: Record<string, [values: object, error: RegExp]> = {
    routingReplicas: [{ services: { routing: { replicas: 2, persistence: persistent } } }, /services\.routing: one routing process owns its DATA_DIR.*replicas: 1/],
    reportingHpa: [
      { services: { reporting: { persistence: persistent, autoscaling: { enabled: true } } } },
      /services\.reporting: one reporting process owns its DATA_DIR.*autoscaling\.enabled: false/,
    ],
    ingestShared: [
      { services: { ingest: { replicas: 3, persistence: { ...persistent, accessModes: ['ReadWriteMany'] } } } },
      /services\.ingest: one ingest process owns its DATA_DIR/,
    ],
    inferenceRwo: [{ services: { inference: { replicas: 2, persistence: persistent } } }, /services\.inference: .*ReadWriteMany/],
    webhookNoSecret: [{ services: { routing: { webhooks: { urls: ['https://hooks.example.org/p'] } } } }, /services\.routing\.webhooks\.secret\.name is required/],
    envCollision: [
      { services: { ingest: { env: { DIMSE_PORT: '104' }, dimse: { enabled: true, port: 11112, aeTitle: 'X' } } } },
      /services\.ingest\.env \/ commonEnv: DIMSE_PORT is set by the chart/,
    ],
    secretInEnv: [{ services: { routing: { env: { ROUTING_WEBHOOK_SECRET: 'x' } } } }, /schema/i],
    aeTitle: [{ services: { ingest: { dimse: { enabled: true, port: 11112, aeTitle: 'A_TITLE_LONGER_THAN_16' } } } }, /schema/i],
    unknownKey: [{ services: { audit: { dimse: { enabled: true, port: 11112, aeTitle: 'X' } } } }, /schema/i],
  };

  beforeAll(() => {
    const files = Object.fromEntries(
      Object.entries(cases).map(([caseName, [values]]) => {
        const file = join(out, `${caseName}.values.yaml`);
        writeFileSync(file, stringify(values));
        return [caseName, [file]];
      }),
    );
    // One run renders every case (each fails on its own); the exit code says that at least one failed.
    expect(renderChart(ROOT, out, files).status).toBe(1);
  }, 300_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it.each(Object.keys(cases))('%s', (caseName) => {
    expect(() => readManifests(out, caseName)).toThrow(cases[caseName][1]);
  });
});
