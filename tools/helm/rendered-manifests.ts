// Reading what tools/helm/render-chart.sh wrote: the rendered manifests as objects, their pod templates and
// containers, and the Kubernetes API schema check (kubernetes-models, generated from the upstream OpenAPI).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  env?: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }>;
  envFrom?: Array<{ configMapRef?: { name: string } }>;
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { drop?: string[] };
  };
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  serviceAccountName?: string;
}

export interface RenderRun {
  status: number | null;
  output: string;
}

/** Lints the chart and renders each case (NAME -> values files; [] = chart defaults) into outDir. */
export function renderChart(repoRoot: string, outDir: string, cases: Record<string, string[]>): RenderRun {
  const args = Object.entries(cases).map(([name, files]) => `${name}=${files.length ? files.join(',') : '-'}`);
  const run = spawnSync('bash', [join(repoRoot, 'tools/helm/render-chart.sh'), outDir, ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 280_000,
  });
  return { status: run.status, output: `${run.stdout ?? ''}${run.stderr ?? ''}` };
}

/** The objects of one rendered case, or throws with Helm's error when the case did not render. */
export function readManifests(outDir: string, name: string): Manifest[] {
  const error = join(outDir, `${name}.error`);
  if (existsSync(error)) throw new Error(`case ${name} did not render: ${readFileSync(error, 'utf8')}`);
  return parseAllDocuments(readFileSync(join(outDir, `${name}.yaml`), 'utf8'))
    .map((d) => d.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null && typeof m === 'object');
}

/** The pod spec inside a Deployment, Job or Pod; undefined for other kinds. */
export function podSpecOf(m: Manifest): PodSpec | undefined {
  if (m.kind === 'Pod') return m.spec as unknown as PodSpec;
  if (m.kind === 'Deployment' || m.kind === 'Job') {
    return (m.spec as { template: { spec: PodSpec } }).template.spec;
  }
  return undefined;
}

export function containersOf(m: Manifest): Container[] {
  const pod = podSpecOf(m);
  return pod ? [...(pod.initContainers ?? []), ...pod.containers] : [];
}

/**
 * Validates one object against the Kubernetes API JSON schema of its apiVersion/kind with kubernetes-models;
 * returns the validation error message, or undefined when valid.
 */
export function schemaErrors(m: Manifest): string | undefined {
  const group = m.apiVersion === 'v1' ? 'v1' : m.apiVersion;
  let Model: new (data: unknown) => { validate(): void };
  try {
    Model = require(`kubernetes-models/${group}/${m.kind}`)[m.kind];
  } catch {
    return `no schema for ${m.apiVersion} ${m.kind}`;
  }
  try {
    new Model(m).validate();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

export const isHook = (m: Manifest): boolean => Boolean(m.metadata.annotations?.['helm.sh/hook']);
