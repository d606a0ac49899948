/**
 * The Helm chart in helm/hes: `helm lint --strict` and `helm template` for the default values and the
 * scale-out values (helm/hes/ci/*.yaml), every rendered manifest validated against the Kubernetes schemas
 * (kubernetes-models: validators compiled from the Kubernetes OpenAPI schemas; the ServiceMonitor against the
 * Prometheus Operator's), and the rendered configuration file loaded by the HES itself. helm comes from
 * scripts/helm.sh (fetched once into .cache/helm); when it cannot be had the test fails, it never skips.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import ts from 'typescript';
import type { Model } from '@kubernetes-models/base';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { loadConfig } from '../config/index.js';
import { parseRoles } from './roles.js';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const chart = join(root, 'helm/hes');
const helmScript = join(root, 'scripts/helm.sh');

type Manifest = { apiVersion: string; kind: string; metadata: { name: string }; [k: string]: unknown };
type ModelClass = new (data: Manifest) => Model<Manifest>;
/** Every kind the chart may render: the compiled schema it must satisfy and the module of its type (strict check). */
const models: Record<string, [ModelClass, string]> = {
  'v1/ConfigMap': [ConfigMap as unknown as ModelClass, 'kubernetes-models/v1/ConfigMap'],
  'v1/Secret': [Secret as unknown as ModelClass, 'kubernetes-models/v1/Secret'],
  'v1/Service': [Service as unknown as ModelClass, 'kubernetes-models/v1/Service'],
  'v1/ServiceAccount': [ServiceAccount as unknown as ModelClass, 'kubernetes-models/v1/ServiceAccount'],
  'apps/v1/Deployment': [Deployment as unknown as ModelClass, 'kubernetes-models/apps/v1/Deployment'],
  'policy/v1/PodDisruptionBudget': [PodDisruptionBudget as unknown as ModelClass, 'kubernetes-models/policy/v1/PodDisruptionBudget'],
  'autoscaling/v2/HorizontalPodAutoscaler': [HorizontalPodAutoscaler as unknown as ModelClass, 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler'],
  'monitoring.coreos.com/v1/ServiceMonitor': [ServiceMonitor as unknown as ModelClass, '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor'],
};

function helm(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(helmScript, args, { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return r;
}

function render(valuesFile: string): Manifest[] {
  const r = helm(['template', 'hes', chart, '-f', valuesFile, '--namespace', 'metering']);
  assert.equal(r.status, 0, `helm template -f ${valuesFile}: ${r.stderr}`);
  return parseAllDocuments(r.stdout)
    .map((d) => {
      assert.equal(d.errors.length, 0, `rendered YAML: ${d.errors.join('; ')}`);
      return d.toJS() as Manifest | null;
    })
    .filter((m): m is Manifest => m !== null);
}

/** Throws naming the object and the schema errors when a manifest does not satisfy its kind's schema. */
function validate(m: Manifest): void {
  const Model = models[`${m.apiVersion}/${m.kind}`]?.[0];
  assert.ok(Model, `${m.apiVersion} ${m.kind} ${m.metadata?.name}: no schema for this kind in the test`);
  try {
    new Model(m).validate();
  } catch (e) {
    throw new Error(`${m.kind} ${m.metadata.name} does not match the Kubernetes schema: ${(e as Error).message}`);
  }
}

/**
 * The schemas leave unknown fields alone (so does the API server, silently dropping them); kubectl and
 * kubeconform's strict mode refuse them. The same check here: each manifest as an object literal of its kind's
 * type (the types are generated from the same schemas), where TypeScript reports every property the type
 * does not have. Returns the compiler's messages, none when every field is known.
 */
function unknownFields(manifests: Manifest[]): string[] {
  const file = join(root, 'helm-manifests.check.ts');
  const source = manifests
    .map((m, i) => {
      const [, module] = models[`${m.apiVersion}/${m.kind}`]!;
      return `export const m${i}: import(${JSON.stringify(module)}).I${m.kind} = ${JSON.stringify(m)};`;
    })
    .join('\n');
  const options: ts.CompilerOptions = { strict: true, noEmit: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, types: [], skipLibCheck: true };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, ...rest) => (name === file ? ts.createSourceFile(name, source, ts.ScriptTarget.ES2022) : getSourceFile.call(host, name, ...rest));
  host.fileExists = (name) => name === file || fileExists.call(host, name);
  host.readFile = (name) => (name === file ? source : readFile.call(host, name));
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, ' ');
    const at = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
    const m = at && d.file === program.getSourceFile(file) ? manifests[at.line] : undefined;
    return m ? `${m.kind} ${m.metadata.name}: ${text}` : text;
  });
}

const valuesFiles = readdirSync(join(chart, 'ci')).filter((f) => f.endsWith('.yaml')).sort();

test('helm is at hand (scripts/helm.sh fetches the pinned version once)', () => {
  const out = execFileSync(helmScript, ['version', '--short'], { cwd: root, encoding: 'utf8' });
  assert.match(out, /^v4\.1\.4/);
});

test('the chart ships a default and a scale-out values file for CI', () => {
  assert.deepEqual(valuesFiles, ['default-values.yaml', 'scaleout-values.yaml']);
});

for (const file of valuesFiles) {
  test(`${file}: helm lint --strict passes and every rendered manifest matches the Kubernetes schemas`, () => {
    const values = join(chart, 'ci', file);
    const lint = helm(['lint', '--strict', chart, '-f', values]);
    assert.equal(lint.status, 0, lint.stdout + lint.stderr);
    assert.match(lint.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);

    const manifests = render(values);
    assert.ok(manifests.length >= 10, `only ${manifests.length} manifests rendered`);
    for (const m of manifests) validate(m);
    assert.deepEqual(unknownFields(manifests), []);

    const deployments = manifests.filter((m) => m.kind === 'Deployment') as unknown as Deployment[];
    for (const d of deployments) {
      const c = d.spec!.template.spec!.containers[0]!;
      const role = c.args![c.args!.indexOf('--roles') + 1]!;
      assert.equal([...parseRoles([role])].join(), role, `${d.metadata!.name}: one role per Deployment`);
      assert.equal(d.metadata!.name, `hes-${role}`);
      assert.equal(c.livenessProbe?.httpGet?.path, '/health');
      assert.equal(c.readinessProbe?.httpGet?.path, '/ready');
      assert.ok(c.resources?.requests?.cpu && c.resources.limits?.memory, `${role}: resources set`);
      const env = new Map(c.env!.map((e) => [e.name, e]));
      assert.ok(env.get('HES_MASTER_KEY')?.valueFrom?.secretKeyRef, `${role}: master key from a Secret`);
      assert.ok(env.get('HES_DATABASE_URL')?.valueFrom?.secretKeyRef, `${role}: database URL from a Secret`);
      const pdb = manifests.find((m) => m.kind === 'PodDisruptionBudget' && m.metadata.name === `hes-${role}`);
      assert.ok(pdb, `${role}: a PodDisruptionBudget`);
    }

    // The configuration file the pods read is one the HES accepts, with the connections the values name.
    const cm = manifests.find((m) => m.kind === 'ConfigMap') as unknown as ConfigMap;
    const dir = mkdtempSync(join(tmpdir(), 'hes-helm-'));
    try {
      writeFileSync(join(dir, 'hes.json'), cm.data!['hes.json']!);
      const cfg = loadConfig({ file: join(dir, 'hes.json'), env: {} });
      assert.ok(cfg.kafka.brokers.length > 0);
      assert.match(cfg.clickhouse.url ?? '', /^http:\/\//);
      const cenc = manifests.find((m) => m.kind === 'Service' && m.metadata.name === 'hes-cenc') as unknown as Service;
      assert.equal(cenc.spec!.type, 'LoadBalancer');
      assert.equal(cenc.spec!.externalTrafficPolicy, 'Local');
      const listenerPorts = cfg.cenc.listeners.map((l) => `${l.split(':')[0]!.toUpperCase()}/${l.split(':')[1]}`);
      const servicePorts = cenc.spec!.ports!.filter((p) => p.name !== 'amr-agents').map((p) => `${p.protocol}/${p.port}`);
      assert.deepEqual(servicePorts, listenerPorts);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    const kinds = new Set(manifests.map((m) => m.kind));
    if (file === 'default-values.yaml') {
      assert.deepEqual(deployments.map((d) => d.metadata!.name), ['hes-api', 'hes-scheduler', 'hes-pipeline', 'hes-cenc']);
      assert.ok(!kinds.has('ServiceMonitor') && !kinds.has('HorizontalPodAutoscaler') && !kinds.has('Secret'));
    } else {
      assert.equal(deployments.length, 6);
      const hpa = manifests.find((m) => m.kind === 'HorizontalPodAutoscaler') as unknown as HorizontalPodAutoscaler;
      assert.equal(hpa.spec!.scaleTargetRef.name, 'hes-pipeline');
      assert.equal(deployments.find((d) => d.metadata!.name === 'hes-pipeline')!.spec!.replicas, undefined, 'the HPA owns the replica count');
      assert.ok(kinds.has('ServiceMonitor'));
      const cenc = deployments.find((d) => d.metadata!.name === 'hes-cenc')!;
      assert.equal(cenc.spec!.replicas, 10);
      assert.ok(cenc.spec!.template.spec!.containers[0]!.env!.some((e) => e.name === 'HES_CENC_ADVERTISE_HOST' && e.valueFrom?.fieldRef?.fieldPath === 'status.podIP'));
    }
  });
}

test('a manifest that breaks the Kubernetes schema is caught (the validation is not a no-op)', () => {
  const [deployment] = render(join(chart, 'ci', 'default-values.yaml')).filter((m) => m.kind === 'Deployment') as unknown as Deployment[];
  const broken = structuredClone(deployment!) as unknown as { spec: { template: { spec: { containers: { ports: { containerPort: unknown }[] }[] } } } };
  broken.spec.template.spec.containers[0]!.ports[0]!.containerPort = 'http';
  assert.throws(() => validate(broken as unknown as Manifest), /containerPort must be integer/);
});

test('a field the Kubernetes types do not have is reported (strict, as kubectl and kubeconform -strict)', () => {
  const manifests = render(join(chart, 'ci', 'default-values.yaml'));
  const service = manifests.find((m) => m.kind === 'Service')!;
  (service as unknown as { spec: Record<string, unknown> }).spec.externalTraficPolicy = 'Local';
  const errors = unknownFields(manifests);
  assert.equal(errors.length, 1, errors.join('\n'));
  assert.match(errors[0]!, new RegExp(`^Service ${service.metadata.name}: .*externalTraficPolicy.* does not exist in type 'IServiceSpec'`));
});

test('missing or misspelled values fail with a message naming the setting', () => {
  const bare = helm(['template', 'hes', chart]);
  assert.notEqual(bare.status, 0);
  assert.match(bare.stderr, /masterKey: set masterKey\.existingSecret/);
  const noKafka = helm(['template', 'hes', chart, '--set', 'masterKey.value=k', '--set', 'database.url=postgres://db/hes', '--set', 'clickhouse.url=http://ch:8123']);
  assert.notEqual(noKafka.status, 0);
  assert.match(noKafka.stderr, /kafka\.brokers: name the Kafka brokers/);
  const typo = helm(['template', 'hes', chart, '-f', join(chart, 'ci', 'default-values.yaml'), '--set', 'roles.cenc.listenrs=1']);
  assert.notEqual(typo.status, 0);
  assert.match(typo.stderr, /additional properties 'listenrs' not allowed/);
});

test('with masterKey.value and database.url the chart makes its own Secret and the pods use it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hes-helm-'));
  try {
    const values = join(dir, 'values.yaml');
    writeFileSync(values, 'masterKey: {value: "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"}\ndatabase: {url: "postgres://hes@pg:5432/hes"}\nkafka: {brokers: ["k:9092"]}\nclickhouse: {url: "http://ch:8123"}\n');
    const manifests = render(values);
    for (const m of manifests) validate(m);
    const secret = manifests.find((m) => m.kind === 'Secret') as unknown as Secret;
    assert.deepEqual(Object.keys(secret.stringData!).sort(), ['databaseUrl', 'masterKey']);
    const api = manifests.find((m) => m.kind === 'Deployment' && m.metadata.name === 'hes-api') as unknown as Deployment;
    const key = api.spec!.template.spec!.containers[0]!.env!.find((e) => e.name === 'HES_MASTER_KEY')!;
    assert.deepEqual(key.valueFrom?.secretKeyRef, { name: 'hes', key: 'masterKey' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
