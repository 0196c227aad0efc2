import { randomBytes } from 'node:crypto';

import type { EmulatorRequest, EmulatorResponse } from '../common/server';

/** An ION API authorized app: client id/secret, and service-account keys for backend services. */
export interface LnClient {
	clientId: string;
	clientSecret: string;
	serviceAccountAccessKey?: string;
	serviceAccountSecretKey?: string;
}

type Grant = 'password' | 'client_credentials' | 'refresh_token';

interface AccessToken {
	clientId: string;
	grant: Grant;
	expiresAt: number;
}

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

function oauthError(status: number, error: string, description: string, headers: Record<string, string> = {}): EmulatorResponse {
	return { status, headers: { ...NO_STORE, ...headers }, body: { error, error_description: description } };
}

/**
 * The ION API authorization server (`{pu}{ot}`, `{pu}{or}`) and the gateway's bearer check:
 * password, client-credentials and refresh-token grants, tokens that expire on the emulator clock.
 */
export class TokenService {
	private clients: LnClient[] = [];
	private readonly access = new Map<string, AccessToken>();
	/** Refresh token → client id. They survive access-token expiry, like ION's. */
	private readonly refresh = new Map<string, string>();
	private issuedCount = 0;
	private byGrant: Record<string, number> = {};

	constructor(
		private readonly now: () => number,
		public lifetimeSeconds: number,
	) {}

	reset(clients: LnClient[]): void {
		this.clients = clients.map((c) => ({ ...c }));
		this.access.clear();
		this.refresh.clear();
		this.issuedCount = 0;
		this.byGrant = {};
	}

	setClients(clients: LnClient[]): void {
		this.clients = clients.map((c) => ({ ...c }));
	}

	get clientList(): LnClient[] {
		return this.clients.map((c) => ({ ...c }));
	}

	/** Every access token issued so far becomes invalid (refresh tokens stay valid). */
	expireAll(): void {
		for (const token of this.access.values()) token.expiresAt = 0;
	}

	/** Every access and refresh token issued (tests check that none leaks into outputs or logs). */
	issuedTokens(): string[] {
		return [...this.access.keys(), ...this.refresh.keys()];
	}

	stats(): { issued: number; active: number; byGrant: Record<string, number> } {
		const now = this.now();
		const active = [...this.access.values()].filter((t) => t.expiresAt > now).length;
		return { issued: this.issuedCount, active, byGrant: { ...this.byGrant } };
	}

	/** The gateway's check of `Authorization: Bearer …`; a 401 response when it fails. */
	check(authorization: string | undefined): EmulatorResponse | undefined {
		const challenge = (description: string) =>
			oauthError(401, 'invalid_token', description, {
				'www-authenticate': `Bearer realm="ION API", error="invalid_token", error_description="${description}"`,
			});
		const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
		if (!match) return challenge('The request has no bearer access token');
		const token = this.access.get(match[1]);
		if (!token) return challenge('The access token is unknown');
		if (token.expiresAt <= this.now()) return challenge('The access token has expired');
		return undefined;
	}

	handleToken(req: EmulatorRequest): EmulatorResponse {
		if (req.method !== 'POST') return oauthError(405, 'invalid_request', 'The token endpoint accepts POST only', { allow: 'POST' });
		if (!req.form) return oauthError(400, 'invalid_request', 'The body must be application/x-www-form-urlencoded');
		const form = req.form;
		const auth = this.authenticate(req);
		if ('response' in auth) return auth.response;
		const client = auth.client;
		const grant = form.get('grant_type');
		if (!grant) return oauthError(400, 'invalid_request', 'The parameter grant_type is missing');
		switch (grant) {
			case 'password': {
				const username = form.get('username');
				const password = form.get('password');
				if (!username || !password) return oauthError(400, 'invalid_request', 'The password grant needs username and password');
				if (!client.serviceAccountAccessKey || !client.serviceAccountSecretKey) {
					return oauthError(400, 'unauthorized_client', `The client ${client.clientId} has no service account`);
				}
				if (username !== client.serviceAccountAccessKey || password !== client.serviceAccountSecretKey) {
					return oauthError(400, 'invalid_grant', 'The service account access key or secret key is wrong');
				}
				return this.issue(client, 'password', true);
			}
			case 'client_credentials':
				return this.issue(client, 'client_credentials', false);
			case 'refresh_token': {
				const refreshToken = form.get('refresh_token');
				if (!refreshToken) return oauthError(400, 'invalid_request', 'The parameter refresh_token is missing');
				if (this.refresh.get(refreshToken) !== client.clientId) {
					return oauthError(400, 'invalid_grant', 'The refresh token is unknown or was issued to another client');
				}
				return this.issue(client, 'refresh_token', true);
			}
			default:
				return oauthError(400, 'unsupported_grant_type', `The grant type ${grant} is not supported`);
		}
	}

	/** RFC 7009 revocation: always 200, the token (access or refresh) stops working. */
	handleRevoke(req: EmulatorRequest): EmulatorResponse {
		if (req.method !== 'POST') return oauthError(405, 'invalid_request', 'The revocation endpoint accepts POST only', { allow: 'POST' });
		if (!req.form) return oauthError(400, 'invalid_request', 'The body must be application/x-www-form-urlencoded');
		const auth = this.authenticate(req);
		if ('response' in auth) return auth.response;
		const token = req.form.get('token');
		if (!token) return oauthError(400, 'invalid_request', 'The parameter token is missing');
		this.access.delete(token);
		this.refresh.delete(token);
		return { status: 200, headers: NO_STORE };
	}

	/** Client authentication by Basic header, or by client_id/client_secret form fields. */
	private authenticate(req: EmulatorRequest): { client: LnClient } | { response: EmulatorResponse } {
		let clientId: string | undefined;
		let clientSecret: string | undefined;
		let basic = false;
		const header = String(req.headers.authorization ?? '');
		const match = /^Basic\s+(\S+)$/i.exec(header);
		if (match) {
			basic = true;
			const decoded = Buffer.from(match[1], 'base64').toString('utf8');
			const colon = decoded.indexOf(':');
			if (colon < 0) return { response: invalidClient('The Basic authorization header is malformed', true) };
			clientId = safeDecode(decoded.slice(0, colon));
			clientSecret = safeDecode(decoded.slice(colon + 1));
		} else {
			clientId = req.form?.get('client_id') ?? undefined;
			clientSecret = req.form?.get('client_secret') ?? undefined;
		}
		if (!clientId) return { response: invalidClient('No client authentication was given', basic) };
		const client = this.clients.find((c) => c.clientId === clientId);
		if (!client || client.clientSecret !== clientSecret) {
			return { response: invalidClient('The client id or client secret is wrong', basic) };
		}
		return { client };
	}

	private issue(client: LnClient, grant: Grant, withRefresh: boolean): EmulatorResponse {
		const accessToken = randomBytes(24).toString('base64url');
		this.access.set(accessToken, { clientId: client.clientId, grant, expiresAt: this.now() + this.lifetimeSeconds * 1000 });
		this.issuedCount++;
		this.byGrant[grant] = (this.byGrant[grant] ?? 0) + 1;
		const body: Record<string, unknown> = { access_token: accessToken, token_type: 'Bearer', expires_in: this.lifetimeSeconds };
		if (withRefresh) {
			const refreshToken = randomBytes(24).toString('base64url');
			this.refresh.set(refreshToken, client.clientId);
			body.refresh_token = refreshToken;
		}
		return { status: 200, headers: NO_STORE, body };
	}
}

function invalidClient(description: string, basic: boolean): EmulatorResponse {
	return oauthError(401, 'invalid_client', description, basic ? { 'www-authenticate': 'Basic realm="ION API"' } : {});
}

/**
 * RFC 6749 §2.3.1 form-encodes id and secret before Base64; most clients do not. Percent escapes
 * are decoded, a '+' is kept (secrets may contain one).
 */
function safeDecode(text: string): string {
	try {
		return decodeURIComponent(text);
	} catch {
		return text;
	}
}
