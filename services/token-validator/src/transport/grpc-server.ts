import { Server, ServerCredentials, type ServiceDefinition, type UntypedServiceImplementation } from "@grpc/grpc-js";
import type { DescService } from "@bufbuild/protobuf";
import type { ServerTls } from "@tessera/shared/config/tls-config";
import { grpcServiceDefinition } from "@tessera/shared/grpc/grpc-definition";

export interface GrpcService {
  readonly service: DescService;
  readonly implementation: UntypedServiceImplementation;
  /** A definition with a codec of its own (ext_authz Check); default: built from `service`. */
  readonly definition?: ServiceDefinition;
}

export interface RunningGrpcServer {
  readonly port: number;
  /** Finishes in-flight calls for up to `graceMs`, then cuts the rest. */
  close(graceMs: number): Promise<void>;
}

/** Requests are small (a token, a scope; Envoy's CheckRequest without a body): refuse anything large. */
const maxReceiveBytes = 256 * 1024;

/** Cleartext HTTP/2, or TLS when given — with a client CA, only clients presenting a certificate it signed get in. */
function credentialsFor(tls: ServerTls | undefined): ServerCredentials {
  if (!tls) return ServerCredentials.createInsecure();
  return ServerCredentials.createSsl(tls.clientCa ?? null, [{ private_key: tls.key, cert_chain: tls.cert }], tls.clientCa !== undefined);
}

export async function startGrpcServer(host: string, port: number, services: readonly GrpcService[], tls?: ServerTls): Promise<RunningGrpcServer> {
  const server = new Server({
    "grpc.max_receive_message_length": maxReceiveBytes,
    // Answer pings from clients that keep connections warm (Envoy does).
    "grpc.keepalive_permit_without_calls": 1,
    "grpc.http2.min_ping_interval_without_data_ms": 10_000,
  });
  for (const { service, implementation, definition } of services) server.addService(definition ?? grpcServiceDefinition(service), implementation);
  const address = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
  const boundPort = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, credentialsFor(tls), (err, bound) => {
      if (!err) return resolve(bound);
      server.forceShutdown();
      reject(err);
    }),
  );
  return {
    port: boundPort,
    close: (graceMs) =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
