import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

import { GraphEmulator, type GraphEmulatorOptions, type GraphSeed } from './emulator';

const { ensureTestCertificate } = require('../../../scripts/tls.js') as { ensureTestCertificate(): { keyPath: string; certPath: string } };

export const ALICE = 'alice@contoso.com';
export const BOB = 'bob@contoso.com';
export const CAROL = 'carol@contoso.com';
export const DENIED = 'denied@contoso.com';
export const EXTERNAL = 'partner@fabrikam.com';
export const LN_KEY = 'String {8ECCC264-6880-4EBE-992F-8888D2EEAA1D} Name LnKey';

export const BASE_SEED: GraphSeed = {
	users: [
		{ mail: ALICE, displayName: 'Alice Organizer' },
		{ mail: BOB, displayName: 'Bob Attendee' },
		{ mail: CAROL, displayName: 'Carol Attendee' },
		{ mail: DENIED, displayName: 'Denied Mailbox', accessDenied: true },
	],
};

export async function startEmulator(options: Partial<GraphEmulatorOptions> = {}): Promise<GraphEmulator> {
	const emulator = new GraphEmulator({ tls: ensureTestCertificate(), ...options });
	await emulator.start();
	emulator.seed(BASE_SEED);
	return emulator;
}

export interface HttpResult<T = Record<string, unknown>> {
	status: number;
	headers: Headers;
	body: T;
	text: string;
}

/** Raw HTTP against the emulator (fetch trusts its certificate through NODE_EXTRA_CA_CERTS). */
export class RawGraph {
	private token?: string;

	constructor(private readonly emulator: GraphEmulator) {}

	async getToken(): Promise<string> {
		const app = this.emulator.app;
		const res = await fetch(`${this.emulator.loginUrl}/${this.emulator.tenantId}/oauth2/v2.0/token`, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams({
				client_id: app.clientId,
				client_secret: app.clientSecret,
				scope: 'https://graph.microsoft.com/.default',
				grant_type: 'client_credentials',
			}),
		});
		const body = (await res.json()) as { access_token: string };
		this.token = body.access_token;
		return this.token;
	}

	/** `path` relative to /v1.0 (e.g. `/users/x/events`) or an absolute URL (nextLink). */
	async call<T = Record<string, unknown>>(
		method: string,
		path: string,
		options: { body?: unknown; headers?: Record<string, string>; token?: string | null } = {},
	): Promise<HttpResult<T>> {
		const token = options.token === undefined ? this.token ?? (await this.getToken()) : options.token;
		const url = /^https?:/.test(path) ? path : `${this.emulator.graphBaseUrl}${path}`;
		const headers: Record<string, string> = { ...(options.headers ?? {}) };
		if (token) headers.authorization = `Bearer ${token}`;
		if (options.body !== undefined) headers['content-type'] = 'application/json';
		const res = await fetch(url, {
			method,
			headers,
			body: options.body === undefined ? undefined : JSON.stringify(options.body),
		});
		const text = await res.text();
		let body: unknown = undefined;
		try {
			body = text ? JSON.parse(text) : undefined;
		} catch {
			body = text;
		}
		return { status: res.status, headers: res.headers, body: body as T, text };
	}

	get<T = Record<string, unknown>>(path: string, headers?: Record<string, string>): Promise<HttpResult<T>> {
		return this.call<T>('GET', path, { headers });
	}

	post<T = Record<string, unknown>>(path: string, body?: unknown, headers?: Record<string, string>): Promise<HttpResult<T>> {
		return this.call<T>('POST', path, { body, headers });
	}

	patch<T = Record<string, unknown>>(path: string, body: unknown, headers?: Record<string, string>): Promise<HttpResult<T>> {
		return this.call<T>('PATCH', path, { body, headers });
	}

	delete(path: string, headers?: Record<string, string>): Promise<HttpResult> {
		return this.call('DELETE', path, { headers });
	}
}

export async function control(emulator: GraphEmulator, method: string, action: string, body?: unknown): Promise<HttpResult> {
	const res = await fetch(`${emulator.url}/_control/${action}`, {
		method,
		headers: body === undefined ? {} : { 'content-type': 'application/json' },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const text = await res.text();
	return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined, text };
}

export type ValidationBehaviour = 'echo' | 'wrongContentType' | 'wrongBody' | 'status500' | 'hang';

export interface ReceivedNotification {
	at: number;
	body: { value: Array<Record<string, unknown>> };
}

/** A local webhook receiver: answers validation handshakes and records notification POSTs. */
export class Receiver {
	validation: ValidationBehaviour = 'echo';
	/** Answer the next N notification POSTs with this status (then 202). */
	failNext = 0;
	failStatus = 500;
	readonly received: ReceivedNotification[] = [];
	readonly validations: string[] = [];
	private server?: http.Server;
	private waiters: Array<() => void> = [];
	url = '';

	async start(): Promise<this> {
		this.server = http.createServer((req, res) => {
			const chunks: Buffer[] = [];
			req.on('data', (c: Buffer) => chunks.push(c));
			req.on('end', () => {
				const url = new URL(req.url ?? '/', 'http://localhost');
				const token = url.searchParams.get('validationToken');
				if (token !== null) {
					this.validations.push(token);
					switch (this.validation) {
						case 'echo':
							res.writeHead(200, { 'content-type': 'text/plain' }).end(token);
							return;
						case 'wrongContentType':
							res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(token));
							return;
						case 'wrongBody':
							res.writeHead(200, { 'content-type': 'text/plain' }).end('not the token');
							return;
						case 'status500':
							res.writeHead(500).end();
							return;
						case 'hang':
							return; // never answers
					}
				}
				const text = Buffer.concat(chunks).toString('utf8');
				if (this.failNext > 0) {
					this.failNext--;
					res.writeHead(this.failStatus).end();
					return;
				}
				this.received.push({ at: Date.now(), body: JSON.parse(text) });
				res.writeHead(202).end();
				const waiters = this.waiters;
				this.waiters = [];
				for (const w of waiters) w();
			});
		});
		await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
		this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
		return this;
	}

	/** All notification items received so far, flattened. */
	items(): Array<Record<string, unknown>> {
		return this.received.flatMap((r) => r.body.value);
	}

	/** Waits until at least `count` items have arrived (or the timeout passes). */
	async waitFor(count: number, timeoutMs = 3000): Promise<void> {
		const deadline = Date.now() + timeoutMs;
		while (this.items().length < count && Date.now() < deadline) {
			await new Promise<void>((resolve) => {
				const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
				this.waiters.push(() => {
					clearTimeout(timer);
					resolve();
				});
			});
		}
	}

	clear(): void {
		this.received.length = 0;
		this.validations.length = 0;
	}

	async stop(): Promise<void> {
		if (!this.server) return;
		this.server.closeAllConnections();
		await new Promise<void>((resolve) => this.server!.close(() => resolve()));
	}
}

export function hour(day: string, time: string): { dateTime: string; timeZone: string } {
	return { dateTime: `${day}T${time}:00`, timeZone: 'UTC' };
}
