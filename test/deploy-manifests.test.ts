import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { create } from "@bufbuild/protobuf";
import { credentials, makeGenericClientConstructor, type Client as GrpcClient, type ServiceError } from "@grpc/grpc-js";
import { parseAllDocuments } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health, HealthCheckRequestSchema, HealthCheckResponse_ServingStatus, type HealthCheckResponse } from "@tessera/shared/gen/grpc/health/v1/health_pb";
import { grpcServiceDefinition } from "@tessera/shared/grpc/grpc-definition";
import { adminEnv, loadAdminConfig } from "@tessera/token-admin/config";
import { loadValidatorConfig, validatorEnv } from "@tessera/token-validator/config";
import { startDeployment, type Deployment } from "./support/deployment.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const kubernetesDir = join(root, "deploy/kubernetes");

// The shapes of the Kubernetes objects this test reads, as far as it reads them.
type Labels = Record<string, string>;
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; fieldRef?: { fieldPath: string } };
}
interface Probe {
  httpGet?: { path: string; port: number | string };
  grpc?: { port: number; service?: string };
  exec?: { command: string[] };
  tcpSocket?: { port: number | string };
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  restartPolicy?: string;
}
interface KubeObject {
  kind: string;
  metadata: { name: string };
  spec?: {
    selector?: Labels | { matchLabels: Labels };
    template?: { metadata: { labels: Labels }; spec: { containers: Container[]; initContainers?: Container[] } };
    ports?: { name: string; port: number; targetPort: number | string }[];
  };
  stringData?: Record<string, string>;
  data?: Record<string, string>;
}

type Service = "token-admin" | "token-validator";
const schemaKeys: Record<Service, Set<string>> = {
  "token-admin": new Set(Object.keys(adminEnv.in.shape)),
  "token-validator": new Set(Object.keys(validatorEnv.in.shape)),
};
/** Well-formed stand-ins for the secrets, so the services' own config validation can run on the manifests. */
const secretStandIns: Record<string, string> = { pepper: "Qv3x9Lm2Tz7Rk4Wc8Yh1Pb6Nd5Fg0Js3Ua+Ee/Io=", "database-url": "postgres://tessera@db/tessera", "redis-url": "redis://redis:6379" };

function loadKubernetes(): KubeObject[] {
  return readdirSync(kubernetesDir)
    .filter((file) => file.endsWith(".yaml") && file !== "kustomization.yaml")
    .flatMap((file) => parseAllDocuments(readFileSync(join(kubernetesDir, file), "utf8")).map((doc) => doc.toJS() as KubeObject));
}

/** Which service a Tessera container runs, from its command. */
function serviceOf(command: readonly string[] | undefined): Service {
  const main = command?.find((arg) => arg.endsWith("/dist/main.js"));
  const service = main?.split("/")[1];
  if (service !== "token-admin" && service !== "token-validator") throw new Error(`not a Tessera service command: ${command?.join(" ")}`);
  return service;
}

/** The environment a container gets, secrets and pod fields replaced by stand-ins. */
function containerEnv(env: readonly EnvVar[]): Record<string, string> {
  return Object.fromEntries(env.map((v) => [v.name, v.value ?? (v.valueFrom?.secretKeyRef ? secretStandIns[v.valueFrom.secretKeyRef.key]! : "pod-name")]));
}

/** The ports a service listens on under `env`, by what they are for. */
function listeningPorts(service: Service, env: Record<string, string>): { ports: number[]; host: string } {
  if (service === "token-admin") {
    const config = loadAdminConfig(env);
    return { ports: [config.port], host: config.host };
  }
  const config = loadValidatorConfig(env);
  return { ports: [config.grpcPort, config.httpPort], host: config.host };
}

const selectorOf = (spec: KubeObject["spec"]): Labels => {
  const selector = spec?.selector ?? {};
  return ("matchLabels" in selector ? selector.matchLabels : selector) as Labels;
};
const matches = (selector: Labels, labels: Labels) => Object.entries(selector).every(([key, value]) => labels[key] === value);

function portNumber(container: Container, port: number | string): number {
  if (typeof port === "number") return port;
  const named = container.ports?.find((p) => p.name === port);
  if (!named) throw new Error(`${container.name}: no port named ${port}`);
  return named.containerPort;
}

const run = promisify(execFile);

/** Runs a `node -e` probe or healthcheck with its loopback port moved to where the test's service listens; resolves to its exit code. */
async function runNodeProbe(command: readonly string[], portFor: (port: number) => number): Promise<number> {
  const [file, ...args] = command;
  expect(file).toBe("node");
  const moved = args.map((arg) => arg.replace(/http:\/\/127\.0\.0\.1:(\d+)/g, (_, port: string) => `http://127.0.0.1:${portFor(Number(port))}`));
  try {
    await run(process.execPath, moved);
    return 0;
  } catch (err) {
    return (err as { code: number }).code;
  }
}

const HealthStub = makeGenericClientConstructor(grpcServiceDefinition(Health), "Health");

/** grpc.health.v1 Check over h2c, as the kubelet's gRPC probe does it. */
async function grpcHealth(port: number, service: string): Promise<HealthCheckResponse_ServingStatus> {
  const client = new HealthStub(`127.0.0.1:${port}`, credentials.createInsecure()) as unknown as GrpcClient & {
    check: (req: unknown, callback: (err: ServiceError | null, res: HealthCheckResponse) => void) => void;
  };
  try {
    const answer = await promisify(client.check.bind(client))(create(HealthCheckRequestSchema, { service }));
    return (answer as HealthCheckResponse).status;
  } finally {
    client.close();
  }
}

describe("deploy/kubernetes and docker-compose.yml agree with the services", () => {
  let d: Deployment;
  /** Where the test's services listen, for each port the manifests name. */
  let running: Record<Service, (port: number) => number>;
  /** Answers everything as a draining service would: 503, NOT_SERVING. */
  let notServing: Server;
  let notServingPort: number;

  beforeAll(async () => {
    notServing = createServer((_req, res) => res.writeHead(503, { "content-type": "application/json" }).end('{"status":"NOT_SERVING"}'));
    await new Promise<void>((resolve) => notServing.listen(0, "127.0.0.1", resolve));
    notServingPort = (notServing.address() as AddressInfo).port;
    d = await startDeployment();
    running = {
      "token-admin": () => d.admin.port,
      "token-validator": (port) => (port === 9191 ? d.validator.httpPort : d.validator.grpcPort),
    };
  });
  afterAll(async () => {
    notServing?.close();
    await d?.close();
  });

  const objects = loadKubernetes();
  const deployments = objects.filter((o) => o.kind === "Deployment");
  const tesseraContainers = deployments.flatMap((deployment) => {
    const pod = deployment.spec!.template!.spec;
    return [...pod.containers, ...(pod.initContainers ?? [])].filter((c) => c.image === "tessera").map((container) => ({ deployment, container, service: serviceOf(container.command) }));
  });

  it("has token-admin, a validator pool and a validator sidecar beside an app", () => {
    expect(tesseraContainers.map((c) => `${c.deployment.metadata.name}/${c.service}`).sort()).toEqual(["orders/token-validator", "token-admin/token-admin", "token-validator/token-validator"]);
    const sidecar = tesseraContainers.find((c) => c.deployment.metadata.name === "orders")!.container;
    expect(sidecar.restartPolicy).toBe("Always");
    expect(deployments.find((o) => o.metadata.name === "orders")!.spec!.template!.spec.containers.map((c) => c.name)).toEqual(["orders"]);
  });

  it("sets only variables the services read, with values their config accepts, from secrets that exist", () => {
    const secrets = objects.filter((o) => o.kind === "Secret");
    for (const { container, service } of tesseraContainers) {
      const env = container.env ?? [];
      expect(env.map((v) => v.name).filter((name) => !schemaKeys[service].has(name)), container.name).toEqual([]);
      for (const ref of env.flatMap((v) => (v.valueFrom?.secretKeyRef ? [v.valueFrom.secretKeyRef] : []))) {
        const secret = secrets.find((s) => s.metadata.name === ref.name);
        expect(secret, `secret ${ref.name}`).toBeDefined();
        expect(Object.keys({ ...secret!.stringData, ...secret!.data })).toContain(ref.key);
      }
      for (const name of ["DATABASE_URL", "TESSERA_PEPPER"]) expect(env.find((v) => v.name === name)?.valueFrom?.secretKeyRef, `${name} from a secret`).toBeDefined();
      // Throws, naming the variable, on any value the service would refuse.
      listeningPorts(service, containerEnv(env));
    }
  });

  it("declares exactly the ports the services listen on; a sidecar listens on loopback", () => {
    for (const { deployment, container, service } of tesseraContainers) {
      const { ports, host } = listeningPorts(service, containerEnv(container.env ?? []));
      expect((container.ports ?? []).map((p) => p.containerPort).sort(), container.name).toEqual([...ports].sort());
      if (deployment.metadata.name === "orders") expect(host).toBe("127.0.0.1");
      else expect(host).toBe("0.0.0.0");
    }
  });

  it("has readiness, liveness and resources for every Tessera container", () => {
    for (const { container } of tesseraContainers) {
      expect(container.readinessProbe, container.name).toBeDefined();
      expect(container.livenessProbe, container.name).toBeDefined();
      expect(container.resources?.requests?.cpu && container.resources.requests.memory && container.resources.limits?.memory, container.name).toBeTruthy();
    }
  });

  it("probes paths, ports and health services the running services answer; a loopback sidecar only from inside", async () => {
    for (const { deployment, container, service } of tesseraContainers) {
      const { host } = listeningPorts(service, containerEnv(container.env ?? []));
      const declared = (container.ports ?? []).map((p) => p.containerPort);
      for (const [kind, probe] of Object.entries({ readiness: container.readinessProbe, liveness: container.livenessProbe, startup: container.startupProbe })) {
        if (!probe) continue;
        const where = `${deployment.metadata.name}/${container.name} ${kind}`;
        // The kubelet probes the pod's IP: a loopback listener must be probed from inside.
        if (host === "127.0.0.1") expect(probe.exec, where).toBeDefined();
        if (probe.httpGet) {
          const port = portNumber(container, probe.httpGet.port);
          expect(declared, where).toContain(port);
          expect((await fetch(`http://127.0.0.1:${running[service](port)}${probe.httpGet.path}`)).status, where).toBe(200);
        } else if (probe.grpc) {
          expect(declared, where).toContain(probe.grpc.port);
          expect(await grpcHealth(running[service](probe.grpc.port), probe.grpc.service ?? ""), where).toBe(HealthCheckResponse_ServingStatus.SERVING);
        } else if (probe.exec) {
          for (const [, port] of probe.exec.command.join(" ").matchAll(/http:\/\/127\.0\.0\.1:(\d+)/g)) expect(declared, where).toContain(Number(port));
          expect(await runNodeProbe(probe.exec.command, running[service]), where).toBe(0);
          // And it can fail: a service that is not serving, or none.
          expect(await runNodeProbe(probe.exec.command, () => notServingPort), where).not.toBe(0);
          expect(await runNodeProbe(probe.exec.command, () => 1), where).not.toBe(0);
        } else throw new Error(`${where}: a probe of a kind this test does not check`);
      }
    }
  });

  it("routes every Service port to a declared container port, and every selector finds its pods", () => {
    for (const object of objects.filter((o) => o.kind === "Service" || o.kind === "PodDisruptionBudget")) {
      const selected = deployments.filter((dep) => matches(selectorOf(object.spec), dep.spec!.template!.metadata.labels));
      expect(selected.map((dep) => dep.metadata.name), `${object.kind} ${object.metadata.name}`).toHaveLength(1);
      for (const port of object.spec?.ports ?? []) {
        const container = selected[0]!.spec!.template!.spec.containers.find((c) => c.image === "tessera")!;
        expect(container.ports!.map((p) => p.containerPort)).toContain(portNumber(container, port.targetPort));
      }
    }
    for (const dep of deployments) expect(objects.some((o) => o.kind === "PodDisruptionBudget" && matches(selectorOf(o.spec), dep.spec!.template!.metadata.labels)), dep.metadata.name).toBe(true);
  });

  describe("docker-compose.yml", () => {
    interface ComposeService {
      command?: string[];
      environment?: Record<string, string>;
      depends_on?: Record<string, { condition: string }>;
      ports?: string[];
      healthcheck?: { test: string[] };
    }
    const compose = parseAllDocuments(readFileSync(join(root, "docker-compose.yml"), "utf8"), { merge: true })[0]!.toJS() as { services: Record<string, ComposeService> };
    const tessera = Object.entries(compose.services).filter(([, s]) => s.command?.some((arg) => arg.endsWith("/dist/main.js")));
    // Compose's ${VAR:?message} takes its value from the user's environment: stand-ins here.
    const composeSecrets: Record<string, string> = { TESSERA_PEPPER: secretStandIns.pepper!, TESSERA_POSTGRES_PASSWORD: "0123abcd", TESSERA_REDIS_PASSWORD: "4567ef01" };
    const interpolate = (value: string) => value.replace(/\$\{(\w+):\?[^}]*\}/g, (_, name: string) => composeSecrets[name] ?? "");
    const envOf = (s: ComposeService) => Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, interpolate(String(v))]));

    it("sets only variables the services read, with values they accept, and publishes their ports", () => {
      expect(tessera.map(([name]) => name).sort()).toEqual(["token-admin", "token-validator-1", "token-validator-2"]);
      for (const [name, s] of tessera) {
        const service = serviceOf(s.command);
        expect(Object.keys(s.environment ?? {}).filter((key) => !schemaKeys[service].has(key)), name).toEqual([]);
        const { ports } = listeningPorts(service, envOf(s));
        expect((s.ports ?? []).map((mapping) => Number(mapping.split(":").at(-1))).sort(), name).toEqual([...ports].sort());
      }
    });

    it("has a healthcheck for every service; validators wait for a healthy admin", async () => {
      for (const [name, s] of Object.entries(compose.services)) expect(s.healthcheck?.test, name).toBeDefined();
      for (const [name, s] of tessera.filter(([, s]) => serviceOf(s.command) === "token-validator")) {
        expect(s.depends_on?.["token-admin"]?.condition, name).toBe("service_healthy");
      }
      for (const [name, s] of tessera) {
        const [form, ...command] = s.healthcheck!.test;
        expect(form, name).toBe("CMD");
        const service = serviceOf(s.command);
        expect(await runNodeProbe(command, running[service]), name).toBe(0);
        expect(await runNodeProbe(command, () => notServingPort), name).not.toBe(0);
        expect(await runNodeProbe(command, () => 1), name).not.toBe(0);
      }
    });
  });
});
