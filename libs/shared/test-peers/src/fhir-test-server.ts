import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { getStatus } from '@medplum/core';
import { FhirRouter, MemoryRepository, type FhirRequest, type HttpMethod } from '@medplum/fhir-router';
import type { OperationOutcome, Resource } from '@medplum/fhirtypes';
import { ensureFhirR4SearchParameters } from '@triage/fhir-definitions';
import { importJWK, jwtVerify, type JWK } from 'jose';

/** How the test EHR checks its callers. */
export type FhirTestAuth =
  | { kind: 'none' }
  | { kind: 'static'; token: string }
  /** SMART Backend Services: client_credentials with a private_key_jwt assertion verified against `publicJwk`. */
  | { kind: 'smart'; clientId: string; publicJwk: JWK; tokenLifetimeS?: number };

export interface FhirTestServerOptions {
  auth?: FhirTestAuth;
  /** Port to listen on (127.0.0.1); 0 = any free one. Kept across stop()/start() so clients can reconnect. */
  port?: number;
}

export const FHIR_BASE_PATH = '/fhir/R4';
export const TOKEN_PATH = '/auth/token';

const FHIR_JSON = 'application/fhir+json';

/**
 * A real FHIR R4 REST server for tests: @medplum/fhir-router over a MemoryRepository (create, read,
 * search, conditional create/update, transaction) behind node:http, with optional bearer auth and a
 * SMART Backend Services token endpoint. The repository outlives stop()/start(), like an EHR's database.
 */
export class FhirTestServer {
  readonly repo = new MemoryRepository();
  private readonly router = new FhirRouter();
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private readonly tokens = new Map<string, number>();
  private readonly usedJtis = new Set<string>();
  private boundPort: number;
  /** Requests answered per method + path kind, for assertions on what the client did. */
  readonly requests: Array<{ method: string; path: string; status: number }> = [];

  constructor(private readonly options: FhirTestServerOptions = {}) {
    this.boundPort = options.port ?? 0;
    // Search (and so conditional create/update) needs the R4 search parameters indexed in @medplum/core.
    ensureFhirR4SearchParameters();
  }

  get port(): number {
    return this.boundPort;
  }
  get baseUrl(): string {
    return `http://127.0.0.1:${this.boundPort}${FHIR_BASE_PATH}`;
  }
  get tokenUrl(): string {
    return `http://127.0.0.1:${this.boundPort}${TOKEN_PATH}`;
  }

  async start(): Promise<this> {
    if (this.server) return this;
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => send(res, 500, outcome('exception', err instanceof Error ? err.message : String(err))));
    });
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: this.boundPort }, () => resolve());
    });
    this.boundPort = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  /** Stops listening and drops open connections at once (an EHR outage, not a graceful drain). */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Every stored resource of a type (a search without parameters, unpaged). */
  async all<T extends Resource>(resourceType: T['resourceType']): Promise<T[]> {
    const bundle = await this.repo.search<T>({ resourceType, count: 1000 } as never);
    return (bundle.entry ?? []).map((e) => e.resource as T);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${this.boundPort}`);
    const body = await readBody(req);
    const record = (status: number) => this.requests.push({ method: req.method ?? '', path: url.pathname, status });
    if (url.pathname === TOKEN_PATH && req.method === 'POST') {
      const [status, json] = await this.issueToken(body.toString('utf8'));
      record(status);
      send(res, status, json, 'application/json');
      return;
    }
    if (!url.pathname.startsWith(FHIR_BASE_PATH)) {
      record(404);
      send(res, 404, outcome('not-found', 'no such endpoint'));
      return;
    }
    if (!this.authorised(req.headers.authorization)) {
      record(401);
      send(res, 401, outcome('login', 'missing or invalid bearer token'));
      return;
    }
    let parsed: unknown;
    try {
      parsed = body.length ? JSON.parse(body.toString('utf8')) : undefined;
    } catch {
      record(400);
      send(res, 400, outcome('structure', 'body is not JSON'));
      return;
    }
    const pathname = url.pathname.slice(FHIR_BASE_PATH.length) || '/';
    const fhirReq: FhirRequest = {
      method: (req.method ?? 'GET') as HttpMethod,
      // The router fills pathname, params and query from url.
      url: pathname.replace(/^\//, '') + url.search,
      pathname: '',
      body: parsed,
      params: {},
      query: Object.fromEntries(url.searchParams.entries()),
      headers: req.headers,
      config: { transactions: true },
    };
    const [oo, resource] = await this.router.handleRequest(fhirReq, this.repo);
    const status = getStatus(oo);
    record(status);
    send(res, status, resource ?? oo);
  }

  private authorised(header: string | undefined): boolean {
    const auth = this.options.auth ?? { kind: 'none' };
    if (auth.kind === 'none') return true;
    const token = /^Bearer (.+)$/.exec(header ?? '')?.[1];
    if (!token) return false;
    if (auth.kind === 'static') return token === auth.token;
    const expires = this.tokens.get(token);
    return expires !== undefined && expires > Date.now();
  }

  private async issueToken(form: string): Promise<[number, unknown]> {
    const auth = this.options.auth;
    if (auth?.kind !== 'smart') return [404, { error: 'invalid_request' }];
    const p = new URLSearchParams(form);
    if (p.get('grant_type') !== 'client_credentials') return [400, { error: 'unsupported_grant_type' }];
    if (p.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') return [400, { error: 'invalid_request' }];
    try {
      const key = await importJWK(auth.publicJwk, auth.publicJwk.alg);
      const { payload } = await jwtVerify(p.get('client_assertion') ?? '', key, {
        issuer: auth.clientId,
        subject: auth.clientId,
        audience: this.tokenUrl,
      });
      if (!payload.jti || this.usedJtis.has(payload.jti)) return [400, { error: 'invalid_client', error_description: 'jti missing or replayed' }];
      this.usedJtis.add(payload.jti);
    } catch (err) {
      return [400, { error: 'invalid_client', error_description: err instanceof Error ? err.message : 'bad assertion' }];
    }
    const token = randomBytes(24).toString('hex');
    const lifetime = auth.tokenLifetimeS ?? 300;
    this.tokens.set(token, Date.now() + lifetime * 1000);
    return [200, { access_token: token, token_type: 'bearer', expires_in: lifetime, scope: p.get('scope') ?? '' }];
  }
}


function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, contentType = FHIR_JSON): void {
  res.writeHead(status, { 'content-type': contentType });
  res.end(JSON.stringify(body));
}

function outcome(code: string, diagnostics: string): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: code as 'exception', diagnostics }] };
}
