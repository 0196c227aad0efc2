import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';

import { FaultInjector, type FaultRule, type RequestFacts } from './faults';
import { RequestLog, type LoggedRequest } from './request-log';

export interface EmulatorRequest {
	method: string;
	url: URL;
	/** Decoded path without the query string. */
	path: string;
	headers: http.IncomingHttpHeaders;
	rawBody: string;
	/** Parsed JSON body, or undefined when the body is empty or not JSON. */
	body: unknown;
	/** Parsed `application/x-www-form-urlencoded` body. */
	form?: URLSearchParams;
	/** The mailbox (Graph) or company (LN) the request addresses, when known. */
	mailbox?: string;
	company?: string;
}

export interface EmulatorResponse {
	status: number;
	headers?: Record<string, string>;
	/** An object is sent as JSON; a string as is (set content-type yourself); undefined → no body. */
	body?: unknown;
}

export interface Admission {
	/** A response to send instead of handling the request (e.g. 429 when over a concurrency limit). */
	reject?: EmulatorResponse;
	/** Called when the response has been sent (or the connection dropped). */
	release?: () => void;
}

export interface TlsOptions {
	keyPath: string;
	certPath: string;
}

export interface EmulatorServerOptions {
	port?: number;
	host?: string;
	tls?: TlsOptions;
	/** Largest accepted request body; larger → 413. */
	maxBodyBytes?: number;
}

const CONTROL_PREFIX = '/_control';
/**
 * A socket's write buffer. Node's HTTP server pauses a connection when a request starts while the
 * answer before it is still above this mark; over TLS the rest of that request could still reach the
 * paused parser, which then failed (HPE_PAUSED) and dropped the connection: "other side closed" for
 * the client, a few percent of all $batch requests under load. Answers (a $batch of 20 contacts is
 * about 30 KB) stay well below this size.
 */
const WRITE_BUFFER_BYTES = 4 * 1024 * 1024;

/**
 * The common part of the LN and Graph emulators: an HTTP(S) server with a control interface
 * (`/_control/...`), fault injection, added latency and a request log. Subclasses implement the
 * service itself in `handle`.
 */
export abstract class EmulatorServer {
	readonly faults = new FaultInjector();
	readonly log: RequestLog;
	/** Milliseconds added to every request (the "network" latency of benchmarks). */
	latencyMs = 0;
	/** Shifts the emulator's clock (token and subscription expiry, "now" of the service). */
	clockOffsetMs = 0;
	private server?: http.Server;
	private readonly sockets = new Set<import('node:net').Socket>();
	private baseUrl = '';

	protected constructor(protected readonly options: EmulatorServerOptions = {}) {
		this.log = new RequestLog((entry) => this.kindOf(entry));
	}

	/** The service itself. */
	protected abstract handle(req: EmulatorRequest): Promise<EmulatorResponse>;

	/** Which mailbox/company a request addresses (for faults, throttling and the log). */
	protected abstract identify(req: EmulatorRequest): void;

	/** A stable label for counting requests by kind, e.g. `GET calendarView/delta`. */
	protected abstract kindOf(entry: LoggedRequest): string;

	/** Service-specific control routes (after the common ones). */
	protected async control(_req: EmulatorRequest, _action: string): Promise<EmulatorResponse | undefined> {
		return undefined;
	}

	/** The full state, for tests and tools. */
	abstract state(): unknown;

	/** The service's current time in epoch milliseconds. */
	now(): number {
		return Date.now() + this.clockOffsetMs;
	}

	/** Forget all data, faults, log, latency and clock shift. */
	reset(): void {
		this.faults.clear();
		this.log.clear();
		this.latencyMs = 0;
		this.clockOffsetMs = 0;
		this.resetData();
	}

	protected abstract resetData(): void;

	/** Concurrency limits and the like; the default admits everything. */
	protected admit(_req: EmulatorRequest): Admission {
		return {};
	}

	get url(): string {
		if (!this.baseUrl) throw new Error('Emulator not started');
		return this.baseUrl;
	}

	async start(): Promise<string> {
		const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
			this.onRequest(req, res).catch((error) => {
				if (!res.headersSent) {
					res.writeHead(500, { 'content-type': 'application/json' });
					res.end(JSON.stringify({ error: { code: 'EmulatorError', message: String(error?.stack ?? error) } }));
				}
			});
		};
		const tls = this.options.tls;
		this.server = tls
			? https.createServer({ key: fs.readFileSync(tls.keyPath), cert: fs.readFileSync(tls.certPath) }, listener)
			: http.createServer(listener);
		this.server.on(tls ? 'secureConnection' : 'connection', widenWriteBuffer);
		this.server.keepAliveTimeout = 5000;
		this.server.on('connection', (socket) => {
			this.sockets.add(socket);
			socket.on('close', () => this.sockets.delete(socket));
		});
		const host = this.options.host ?? '127.0.0.1';
		await new Promise<void>((resolve, reject) => {
			this.server!.once('error', reject);
			this.server!.listen(this.options.port ?? 0, host, () => resolve());
		});
		const address = this.server.address() as AddressInfo;
		this.baseUrl = `${tls ? 'https' : 'http'}://${host}:${address.port}`;
		return this.baseUrl;
	}

	async stop(): Promise<void> {
		if (!this.server) return;
		for (const socket of this.sockets) socket.destroy();
		await new Promise<void>((resolve) => this.server!.close(() => resolve()));
		this.server = undefined;
	}

	private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
		const startedAt = Date.now();
		const url = new URL(req.url ?? '/', this.baseUrl || 'http://localhost');
		const maxBody = this.options.maxBodyBytes ?? 4 * 1024 * 1024;
		const rawBody = await readBody(req, maxBody).catch(() => undefined);
		if (rawBody === undefined) {
			send(res, { status: 413, body: { error: { code: 'RequestEntityTooLarge', message: 'Body too large' } } });
			return;
		}
		const request = parseRequest(req, url, rawBody);

		if (request.path.startsWith(CONTROL_PREFIX)) {
			const action = request.path.slice(CONTROL_PREFIX.length + 1);
			const response = (await this.commonControl(request, action)) ??
				(await this.control(request, action)) ?? { status: 404, body: { error: `Unknown control ${action}` } };
			send(res, response);
			return;
		}

		this.identify(request);
		const facts: RequestFacts = {
			method: request.method,
			path: `${request.path}${url.search}`,
			mailbox: request.mailbox ?? request.company,
		};
		const seq = this.log.nextSeq();
		const entry: LoggedRequest = {
			seq,
			method: request.method,
			path: request.path,
			query: url.search,
			mailbox: request.mailbox,
			company: request.company,
			status: 0,
			startedAt,
			durationMs: 0,
			from: req.socket.remoteAddress?.replace(/^::ffff:/, ''),
		};
		const admission = this.admit(request);
		try {
			if (admission.reject) {
				// Refused before any fault rule sees it, so `nth` counts only requests that got in.
				if (this.latencyMs > 0) await sleep(this.latencyMs);
				entry.status = admission.reject.status;
				send(res, admission.reject);
				return;
			}
			const decision = this.faults.decide(facts);
			const latency = this.latencyMs + decision.latencyMs;
			if (latency > 0) await sleep(latency);
			const fault = decision.fault;
			if (fault?.kind === 'reset') {
				entry.fault = 'reset';
				req.socket.destroy();
				return;
			}
			if (fault?.kind === 'status') {
				entry.status = fault.status!;
				entry.fault = `status ${fault.status}`;
				send(res, faultResponse(fault));
				return;
			}
			let response: EmulatorResponse;
			try {
				response = await this.handle(request);
			} catch (error) {
				entry.status = 500;
				throw error;
			}
			if (fault?.kind === 'lostResponse') {
				entry.status = response.status;
				entry.fault = 'lostResponse';
				req.socket.destroy();
				return;
			}
			entry.status = response.status;
			send(res, response);
		} finally {
			entry.durationMs = Date.now() - startedAt;
			this.log.add(entry);
			admission.release?.();
		}
	}

	private async commonControl(req: EmulatorRequest, action: string): Promise<EmulatorResponse | undefined> {
		const body = (req.body ?? {}) as Record<string, unknown>;
		switch (`${req.method} ${action}`) {
			case 'POST reset':
				this.reset();
				return { status: 204 };
			case 'GET state':
				return { status: 200, body: this.state() };
			case 'GET faults':
				return { status: 200, body: { value: this.faults.list() } };
			case 'POST faults': {
				const rules = (Array.isArray(req.body) ? req.body : [req.body]) as FaultRule[];
				try {
					for (const rule of rules) this.faults.add(rule);
				} catch (error) {
					return { status: 400, body: { error: (error as Error).message } };
				}
				return { status: 204 };
			}
			case 'DELETE faults':
				this.faults.clear();
				return { status: 204 };
			case 'POST latency':
				this.latencyMs = Number(body.ms ?? 0);
				return { status: 204 };
			case 'POST clock':
				// { offsetMs } shifts the clock; { now: ISO } sets it.
				this.clockOffsetMs =
					typeof body.now === 'string' ? Date.parse(body.now) - Date.now() : Number(body.offsetMs ?? 0);
				return { status: 200, body: { now: new Date(this.now()).toISOString() } };
			case 'GET requests':
				return { status: 200, body: { counts: this.log.counts(), value: this.log.all() } };
			case 'DELETE requests':
				this.log.clear();
				return { status: 204 };
			default:
				return undefined;
		}
	}
}

/** See WRITE_BUFFER_BYTES. Node has no public setter for an open socket's write buffer mark. */
function widenWriteBuffer(socket: import('node:net').Socket): void {
	const state = (socket as unknown as { _writableState?: { highWaterMark: number } })._writableState;
	if (state) state.highWaterMark = WRITE_BUFFER_BYTES;
}

function faultResponse(rule: FaultRule): EmulatorResponse {
	const headers = { ...(rule.headers ?? {}) };
	return { status: rule.status!, headers, body: rule.body ?? { error: { code: 'InjectedFault', message: `Injected ${rule.status}` } } };
}

export function send(res: http.ServerResponse, response: EmulatorResponse): void {
	const headers: Record<string, string> = { ...(response.headers ?? {}) };
	let payload: string | Buffer | undefined;
	if (response.body === undefined || response.body === null) {
		payload = undefined;
	} else if (typeof response.body === 'string' || Buffer.isBuffer(response.body)) {
		payload = response.body as string | Buffer;
	} else {
		payload = JSON.stringify(response.body);
		if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
			headers['content-type'] = 'application/json; charset=utf-8';
		}
	}
	res.writeHead(response.status, headers);
	res.end(payload);
}

function readBody(req: http.IncomingMessage, limit: number): Promise<string> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		let size = 0;
		req.on('data', (chunk: Buffer) => {
			size += chunk.length;
			if (size > limit) {
				reject(new Error('too large'));
				req.resume();
				return;
			}
			chunks.push(chunk);
		});
		req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
		req.on('error', reject);
	});
}

function parseRequest(req: http.IncomingMessage, url: URL, rawBody: string): EmulatorRequest {
	const contentType = String(req.headers['content-type'] ?? '');
	let body: unknown;
	let form: URLSearchParams | undefined;
	if (contentType.includes('application/x-www-form-urlencoded')) {
		form = new URLSearchParams(rawBody);
	} else if (rawBody.length > 0) {
		try {
			body = JSON.parse(rawBody);
		} catch {
			body = undefined;
		}
	}
	let path = url.pathname;
	try {
		path = decodeURIComponent(url.pathname);
	} catch {
		// keep the raw path; the service answers 400 for it
	}
	return { method: (req.method ?? 'GET').toUpperCase(), url, path, headers: req.headers, rawBody, body, form };
}

export function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}
