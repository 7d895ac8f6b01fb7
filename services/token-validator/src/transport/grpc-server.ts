import { createServer, type AddressInfo, type Socket } from "node:net";
import { Server, ServerCredentials, type ServiceDefinition, type UntypedServiceImplementation } from "@grpc/grpc-js";
import type { DescService } from "@bufbuild/protobuf";
import type { ServerTls } from "@tessera/shared/config/tls-config";
import { grpcServiceDefinition } from "@tessera/shared/grpc/grpc-definition";
import { refuseMalformedRequests } from "./malformed-requests.js";
import { listenOnUnixSocket, type UnixSocketListener, type UnixSocketOptions } from "./unix-socket-listener.js";

export interface GrpcService {
  readonly service: DescService;
  readonly implementation: UntypedServiceImplementation;
  /** A definition with a codec of its own (ext_authz Check); default: built from `service`. */
  readonly definition?: ServiceDefinition;
}

/** How long and how many connections a client may hold on the gRPC port. */
export interface GrpcConnectionLimits {
  /** Open connections at most; beyond it new ones are closed as they arrive. */
  readonly maxConnections: number;
  /** With no call in flight this long a connection gets GOAWAY and is closed; this also bounds one that never sends a byte. */
  readonly idleTimeoutMs: number;
  /** Every connection gets GOAWAY after this long (±10 %), then `maxConnectionAgeGraceMs` for calls in flight: bounds a call that never finishes arriving. */
  readonly maxConnectionAgeMs: number;
  readonly maxConnectionAgeGraceMs: number;
}

export interface GrpcServerOptions {
  readonly host: string;
  readonly port: number;
  readonly limits: GrpcConnectionLimits;
  /** Largest request message read; a larger one is refused (RESOURCE_EXHAUSTED) before it is decoded. */
  readonly maxMessageBytes: number;
  /** Told of each connection refused at the cap (for a metric). */
  readonly onRefused?: () => void;
  /** Set: TLS only; with a client CA, only clients presenting a certificate it signed get in. */
  readonly tls?: ServerTls | undefined;
  /** Set: also serve on this Unix-domain socket (a sidecar's clients in the same pod), with the same bounds. */
  readonly unixSocket?: Omit<UnixSocketOptions, "maxConnections" | "onRefused"> | undefined;
}

export interface RunningGrpcServer {
  readonly port: number;
  /** The Unix-domain socket also served, if one was asked for. */
  readonly socketPath: string | undefined;
  /** Accepted connections not yet closed (for a gauge). */
  openConnections(): number;
  /** Finishes in-flight calls for up to `graceMs`, then cuts the rest. */
  close(graceMs: number): Promise<void>;
}

/** Cleartext HTTP/2, or TLS when given — with a client CA, only clients presenting a certificate it signed get in. */
function credentialsFor(tls: ServerTls | undefined): ServerCredentials {
  if (!tls) return ServerCredentials.createInsecure();
  return ServerCredentials.createSsl(tls.clientCa ?? null, [{ private_key: tls.key, cert_chain: tls.cert }], tls.clientCa !== undefined);
}

/**
 * grpc-js serving `services`, every phase of a connection bounded. grpc-js has
 * no connection cap of its own, so this process accepts the connections (a
 * net.Server with maxConnections) and injects them into grpc-js, which applies
 * the idle and age bounds. A request that is not the method's message is
 * answered INVALID_ARGUMENT (see malformed-requests.ts).
 */
export async function startGrpcServer(services: readonly GrpcService[], options: GrpcServerOptions): Promise<RunningGrpcServer> {
  const { limits } = options;
  const server = new Server({
    "grpc.max_receive_message_length": options.maxMessageBytes,
    // Answer pings from clients that keep connections warm (Envoy does).
    "grpc.keepalive_permit_without_calls": 1,
    "grpc.http2.min_ping_interval_without_data_ms": 10_000,
    "grpc.max_connection_idle_ms": limits.idleTimeoutMs,
    "grpc.max_connection_age_ms": limits.maxConnectionAgeMs,
    "grpc.max_connection_age_grace_ms": limits.maxConnectionAgeGraceMs,
    // Calls are microseconds; a hundred at once per connection is far more than a client needs.
    "grpc.max_concurrent_streams": 100,
    // Channelz counts and timestamps every call for a debugging service this server does not offer
    // (its own metrics say the same); off, the validator served 1.04–1.06 × the calls (paired, one core).
    "grpc.enable_channelz": 0,
  });
  for (const { service, implementation, definition } of services) {
    const guarded = refuseMalformedRequests(definition ?? grpcServiceDefinition(service), implementation);
    server.addService(guarded.definition, guarded.implementation);
  }
  const injector = server.createConnectionInjector(credentialsFor(options.tls));
  const sockets = new Set<Socket>();
  const accept = (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    injector.injectConnection(socket);
  };
  const listener = createServer(accept);
  listener.maxConnections = limits.maxConnections;
  if (options.onRefused) listener.on("drop", options.onRefused);
  await new Promise<void>((resolve, reject) => {
    listener.once("error", reject);
    listener.listen(options.port, options.host, () => {
      listener.off("error", reject);
      resolve();
    });
  });
  let unixListener: UnixSocketListener | undefined;
  if (options.unixSocket) {
    try {
      unixListener = await listenOnUnixSocket({ ...options.unixSocket, maxConnections: limits.maxConnections, onRefused: options.onRefused }, accept);
    } catch (err) {
      listener.close();
      throw err;
    }
  }
  return {
    port: (listener.address() as AddressInfo).port,
    socketPath: unixListener?.path,
    openConnections: () => sockets.size,
    async close(graceMs) {
      const stopped = Promise.all([new Promise<void>((resolve) => listener.close(() => resolve())), unixListener?.close()]);
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      // Sessions are closed by now; a socket still open never became one.
      for (const socket of sockets) socket.destroy();
      await stopped;
    },
  };
}
