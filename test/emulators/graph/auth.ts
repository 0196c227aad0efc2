import { createHash, randomBytes, verify, X509Certificate } from 'node:crypto';

import type { EmulatorRequest, EmulatorResponse } from '../common/server';
import { GraphError } from './errors';
import { guidFrom, newGuid } from './ids';

export interface GraphApp {
	clientId: string;
	clientSecret: string;
	/** PEM certificates uploaded to the app registration (certificate sign-in). */
	certificates?: string[];
}

const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Entra refuses client assertions that live longer than this. */
const MAX_ASSERTION_LIFETIME_SECONDS = 10 * 60;

interface IssuedToken {
	app: GraphApp;
	expiresMs: number;
	expired: boolean;
}

export const DEFAULT_TENANT_DOMAIN = 'contoso.onmicrosoft.com';
export const DEFAULT_TENANT_ID = guidFrom(`tenant:${DEFAULT_TENANT_DOMAIN}`);
export const DEFAULT_APP: GraphApp = {
	clientId: guidFrom('app:ln-exchange-sync'),
	clientSecret: 'emu~Secret.0123456789abcdefghijklmnopqrstuv',
};

/**
 * Entra ID's client-credentials token endpoint and Graph's bearer-token check. Tokens are
 * JWT-shaped (header.payload.signature) but only valid because this emulator issued them.
 */
export class AuthService {
	tenantId = DEFAULT_TENANT_ID;
	/** Other names the token path accepts for the tenant (the default tenant's domain). */
	tenantAliases = new Set([DEFAULT_TENANT_DOMAIN]);
	apps: GraphApp[] = [{ ...DEFAULT_APP }];
	issued = 0;
	private readonly tokens = new Map<string, IssuedToken>();

	constructor(private readonly lifetimeSeconds: number, private readonly now: () => number) {}

	configure(tenantId: string | undefined, apps: GraphApp[] | undefined): void {
		if (tenantId) {
			this.tenantId = tenantId;
			this.tenantAliases = new Set();
		} else {
			this.tenantId = DEFAULT_TENANT_ID;
			this.tenantAliases = new Set([DEFAULT_TENANT_DOMAIN]);
		}
		this.apps = (apps?.length ? apps : [DEFAULT_APP]).map((a) => ({ ...a }));
		// Tokens of apps that no longer exist stop working; the others stay valid across re-seeding.
		for (const [token, issued] of this.tokens) {
			if (!this.apps.some((a) => a.clientId === issued.app.clientId)) this.tokens.delete(token);
		}
	}

	reset(): void {
		this.tokens.clear();
		this.issued = 0;
		this.configure(undefined, undefined);
	}

	expireAll(): void {
		for (const token of this.tokens.values()) token.expired = true;
	}

	/** Every access token issued (tests check that none leaks into outputs or logs). */
	issuedTokens(): string[] {
		return [...this.tokens.keys()];
	}

	activeTokens(): number {
		const now = this.now();
		return [...this.tokens.values()].filter((t) => !t.expired && t.expiresMs > now).length;
	}

	knowsTenant(segment: string): boolean {
		const lower = segment.toLowerCase();
		return lower === this.tenantId.toLowerCase() || this.tenantAliases.has(lower);
	}

	/** `POST /{tenant}/oauth2/v2.0/token`. */
	token(req: EmulatorRequest, tenant: string): EmulatorResponse {
		const form = req.form ?? new URLSearchParams();
		if (!this.knowsTenant(tenant)) {
			return this.aadError(400, 'invalid_request', 90002,
				`Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`);
		}
		const grantType = form.get('grant_type');
		if (!grantType) {
			return this.aadError(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'grant_type'.");
		}
		if (grantType !== 'client_credentials') {
			return this.aadError(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grantType}'.`);
		}
		const clientId = form.get('client_id') ?? '';
		const app = this.apps.find((a) => a.clientId.toLowerCase() === clientId.toLowerCase());
		if (!clientId || !app) {
			return this.aadError(400, 'unauthorized_client', 700016,
				`Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`);
		}
		const secret = form.get('client_secret');
		const assertion = form.get('client_assertion');
		if (assertion !== null) {
			const refused = this.checkAssertion(app, form.get('client_assertion_type'), assertion, `${req.url.origin}${req.path}`);
			if (refused) return refused;
		} else if (!secret) {
			return this.aadError(401, 'invalid_client', 7000218,
				"The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
		} else if (secret !== app.clientSecret) {
			// The real message names the app, never the secret.
			return this.aadError(401, 'invalid_client', 7000215,
				`Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.clientId}'.`);
		}
		const scope = form.get('scope') ?? '';
		if (!scope.trim().endsWith('/.default')) {
			return this.aadError(400, 'invalid_scope', 1002012,
				`The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`);
		}
		const nowMs = this.now();
		const expiresMs = nowMs + this.lifetimeSeconds * 1000;
		const accessToken = this.jwt(app, nowMs, expiresMs);
		this.tokens.set(accessToken, { app, expiresMs, expired: false });
		this.issued++;
		return {
			status: 200,
			headers: { 'cache-control': 'no-store, no-cache', pragma: 'no-cache' },
			body: {
				token_type: 'Bearer',
				expires_in: this.lifetimeSeconds,
				ext_expires_in: this.lifetimeSeconds,
				access_token: accessToken,
			},
		};
	}

	/**
	 * A certificate client assertion as Entra checks it: the JWT-bearer type, RS256 signed by the key of
	 * a certificate uploaded to the app (found by its `x5t#S256` or `x5t` thumbprint), `aud` the token
	 * endpoint, `iss` and `sub` the client id, within its time and at most 10 minutes long.
	 */
	private checkAssertion(app: GraphApp, type: string | null, assertion: string, tokenUrl: string): EmulatorResponse | undefined {
		if (type !== CLIENT_ASSERTION_TYPE) {
			return this.aadError(400, 'invalid_request', 50027, `The client_assertion_type '${type ?? ''}' is not supported; it must be '${CLIENT_ASSERTION_TYPE}'.`);
		}
		const malformed = () => this.aadError(401, 'invalid_client', 50027, 'JWT token is invalid or malformed.');
		const parts = assertion.split('.');
		if (parts.length !== 3) return malformed();
		let header: { alg?: string; x5t?: string; 'x5t#S256'?: string };
		let claims: { aud?: string; iss?: string; sub?: string; exp?: number; nbf?: number; jti?: string };
		try {
			header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
			claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
		} catch {
			return malformed();
		}
		const certificates = (app.certificates ?? []).map((pem) => new X509Certificate(pem));
		const thumbprint = (certificate: X509Certificate, algorithm: 'sha1' | 'sha256') => createHash(algorithm).update(certificate.raw).digest('base64url');
		const certificate = certificates.find((c) => (header['x5t#S256'] && thumbprint(c, 'sha256') === header['x5t#S256']) || (header.x5t && thumbprint(c, 'sha1') === header.x5t));
		if (!certificate) {
			return this.aadError(401, 'invalid_client', 700027,
				`Client assertion failed signature validation. Reason - The key was not found. Thumbprint of key used by client: '${header['x5t#S256'] ?? header.x5t ?? ''}'. Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${app.clientId}'.`);
		}
		const signed = header.alg === 'RS256' && verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), certificate.publicKey, Buffer.from(parts[2], 'base64url'));
		if (!signed) return this.aadError(401, 'invalid_client', 700027, 'Client assertion failed signature validation.');
		if (claims.aud !== tokenUrl) {
			return this.aadError(401, 'invalid_client', 50027, `The audience '${claims.aud ?? ''}' of the client assertion is not the token endpoint '${tokenUrl}'.`);
		}
		if (claims.iss !== app.clientId || claims.sub !== app.clientId) {
			return this.aadError(401, 'invalid_client', 700021, `Client assertion application identifier doesn't match 'client_id' parameter.`);
		}
		const now = Math.floor(this.now() / 1000);
		if (typeof claims.exp !== 'number' || claims.exp < now || (typeof claims.nbf === 'number' && claims.nbf > now + 300)) {
			return this.aadError(401, 'invalid_client', 700024, 'Client assertion is not within its valid time range.');
		}
		if (claims.exp - (claims.nbf ?? now) > MAX_ASSERTION_LIFETIME_SECONDS) {
			return this.aadError(401, 'invalid_client', 700024, 'Client assertion contains an invalid lifetime: it may be valid for at most 10 minutes.');
		}
		return undefined;
	}

	/** The app behind a Graph request's bearer token; 401 InvalidAuthenticationToken otherwise. */
	authenticate(authorization: string | undefined): GraphApp {
		const wwwAuthenticate = {
			'WWW-Authenticate': 'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"',
		};
		const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
		if (!match) throw new GraphError(401, 'InvalidAuthenticationToken', 'Access token is empty.', wwwAuthenticate);
		const token = this.tokens.get(match[1]);
		if (!token) {
			const message = match[1].split('.').length === 3
				? 'Access token validation failure. Invalid audience.'
				: 'IDX14100: JWT is not well formed, there are no dots (.).';
			throw new GraphError(401, 'InvalidAuthenticationToken', message, wwwAuthenticate);
		}
		if (token.expired || token.expiresMs <= this.now()) {
			throw new GraphError(401, 'InvalidAuthenticationToken', 'Lifetime validation failed, the token is expired.', wwwAuthenticate);
		}
		return token.app;
	}

	private jwt(app: GraphApp, nowMs: number, expiresMs: number): string {
		const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
		const header = { typ: 'JWT', alg: 'RS256', kid: 'graph-emulator' };
		const payload = {
			aud: 'https://graph.microsoft.com',
			iss: `https://sts.windows.net/${this.tenantId}/`,
			iat: Math.floor(nowMs / 1000),
			nbf: Math.floor(nowMs / 1000),
			exp: Math.floor(expiresMs / 1000),
			appid: app.clientId,
			idtyp: 'app',
			oid: guidFrom(`sp:${app.clientId}`),
			roles: ['Calendars.ReadWrite', 'Contacts.ReadWrite', 'User.Read.All'],
			tid: this.tenantId,
			uti: randomBytes(16).toString('base64url'),
		};
		return `${b64(header)}.${b64(payload)}.${randomBytes(32).toString('base64url')}`;
	}

	private aadError(status: number, error: string, code: number, text: string): EmulatorResponse {
		const traceId = newGuid();
		const correlationId = newGuid();
		const timestamp = new Date(this.now()).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
		return {
			status,
			body: {
				error,
				error_description: `AADSTS${code}: ${text}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
				error_codes: [code],
				timestamp,
				trace_id: traceId,
				correlation_id: correlationId,
				error_uri: `https://login.microsoftonline.com/error?code=${code}`,
			},
		};
	}
}

/** The service principal id Graph reports as a subscription's creatorId. */
export function servicePrincipalId(app: GraphApp): string {
	return guidFrom(`sp:${app.clientId}`);
}
