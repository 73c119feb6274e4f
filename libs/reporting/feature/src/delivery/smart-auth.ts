import { randomUUID } from 'node:crypto';
import { importJWK, importPKCS8, SignJWT, type CryptoKey, type JWK, type KeyObject } from 'jose';

/** How reporting authenticates to the EHR's FHIR server. */
export type FhirAuthConfig =
  | { kind: 'none' }
  /** A fixed bearer token (development and test systems). */
  | { kind: 'static'; token: string }
  /** SMART Backend Services: client_credentials grant with a private_key_jwt client assertion. */
  | { kind: 'smart'; tokenUrl: string; clientId: string; privateKey: string; alg: string; kid?: string; scope: string };

export class FhirAuthError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'FhirAuthError';
  }
}

/** Supplies bearer tokens: the static one, or SMART access tokens fetched and cached until shortly before expiry. */
export class FhirTokenProvider {
  private cached?: { token: string; expiresAt: number };
  private key?: CryptoKey | KeyObject | Uint8Array;

  constructor(
    private readonly config: FhirAuthConfig,
    private readonly timeoutMs = 10_000,
  ) {}

  /** Forgets a cached token (after a 401). */
  invalidate(): void {
    this.cached = undefined;
  }

  async token(): Promise<string | undefined> {
    const c = this.config;
    switch (c.kind) {
      case 'none':
        return undefined;
      case 'static':
        return c.token;
      case 'smart':
        if (this.cached && this.cached.expiresAt > Date.now() + 30_000) return this.cached.token;
        this.cached = await this.fetchToken(c);
        return this.cached.token;
    }
  }

  private async signingKey(c: Extract<FhirAuthConfig, { kind: 'smart' }>): Promise<CryptoKey | KeyObject | Uint8Array> {
    if (this.key) return this.key;
    const text = c.privateKey.trim();
    this.key = text.startsWith('{') ? await importJWK(JSON.parse(text) as JWK, c.alg) : await importPKCS8(text, c.alg);
    return this.key;
  }

  private async fetchToken(c: Extract<FhirAuthConfig, { kind: 'smart' }>): Promise<{ token: string; expiresAt: number }> {
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: c.alg, typ: 'JWT', ...(c.kid ? { kid: c.kid } : {}) })
      .setIssuer(c.clientId)
      .setSubject(c.clientId)
      .setAudience(c.tokenUrl)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(await this.signingKey(c));
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      scope: c.scope,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    });
    let res: Response;
    try {
      res = await fetch(c.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new FhirAuthError(`token endpoint unreachable: ${err instanceof Error ? err.message : String(err)}`, true);
    }
    const json = (await res.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; error?: string };
    if (!res.ok || !json.access_token) {
      // 5xx and 429 are the server's trouble; 4xx means our client registration or key is wrong.
      const retryable = res.status >= 500 || res.status === 429;
      throw new FhirAuthError(`token endpoint answered ${res.status}${json.error ? ` ${json.error}` : ''}`, retryable);
    }
    return { token: json.access_token, expiresAt: Date.now() + (json.expires_in ?? 300) * 1000 };
  }
}
