import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensureTestCertificate } = require('../../scripts/tls.js') as {
	ensureTestCertificate: () => { keyPath: string; certPath: string };
};

export interface RecordedRequest {
	method: string;
	url: string;
	path: string;
	query: URLSearchParams;
	headers: http.IncomingHttpHeaders;
	body: string;
	json?: unknown;
}

export interface Reply {
	status?: number;
	headers?: Record<string, string>;
	body?: unknown;
	/** Wait this long before answering (to observe concurrency). */
	delayMs?: number;
	/** Drop the connection instead of answering. */
	reset?: boolean;
}

export type Handler = (request: RecordedRequest, server: LocalServer) => Reply | Promise<Reply>;

export interface LocalServer {
	url: string;
	requests: RecordedRequest[];
	/** Requests currently being answered, and the most seen at once. */
	inFlight: number;
	maxInFlight: number;
	close(): Promise<void>;
}

/** A small real HTTP(S) server for transport tests: every request is recorded and answered by `handler`. */
export async function startLocalServer(handler: Handler, options: { tls?: boolean } = {}): Promise<LocalServer> {
	const state: LocalServer = {
		url: '',
		requests: [],
		inFlight: 0,
		maxInFlight: 0,
		close: async () => undefined,
	};
	const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
		const chunks: Buffer[] = [];
		req.on('data', (chunk: Buffer) => chunks.push(chunk));
		req.on('end', async () => {
			const body = Buffer.concat(chunks).toString('utf8');
			const url = new URL(req.url ?? '/', state.url);
			let json: unknown;
			try {
				json = body ? JSON.parse(body) : undefined;
			} catch {
				json = undefined;
			}
			const recorded: RecordedRequest = {
				method: req.method ?? 'GET',
				url: req.url ?? '/',
				path: decodeURIComponent(url.pathname),
				query: url.searchParams,
				headers: req.headers,
				body,
				json,
			};
			state.requests.push(recorded);
			state.inFlight++;
			state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
			try {
				const reply = await handler(recorded, state);
				if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
				if (reply.reset) {
					req.socket.destroy();
					return;
				}
				const headers = { ...(reply.headers ?? {}) };
				let payload: string | undefined;
				if (reply.body !== undefined) {
					if (typeof reply.body === 'string') payload = reply.body;
					else {
						payload = JSON.stringify(reply.body);
						headers['content-type'] ??= 'application/json';
					}
				}
				res.writeHead(reply.status ?? 200, headers);
				res.end(payload);
			} finally {
				state.inFlight--;
			}
		});
	};
	let server: http.Server;
	if (options.tls) {
		const { keyPath, certPath } = ensureTestCertificate();
		server = https.createServer({ key: fs.readFileSync(keyPath), cert: fs.readFileSync(certPath) }, listener);
	} else {
		server = http.createServer(listener);
	}
	const sockets = new Set<import('node:net').Socket>();
	server.on('connection', (socket) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
	const port = (server.address() as AddressInfo).port;
	state.url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
	state.close = async () => {
		for (const socket of sockets) socket.destroy();
		await new Promise<void>((resolve) => server.close(() => resolve()));
	};
	return state;
}
