import { AsyncLocalStorage } from 'node:async_hooks';

import type { Context, MiddlewareOptions } from '@microsoft/microsoft-graph-client';

/** Per-request option: the request may be sent again after a network failure (no duplicate can result). */
export class IdempotentRequest implements MiddlewareOptions {
	constructor(readonly idempotent: boolean) {}
}

/** Per-request option: the URLs of the requests a `$batch` carries, so that no handler parses its body for them. */
export class BatchedUrls implements MiddlewareOptions {
	constructor(readonly urls: string[]) {}
}

const parsedBatches = new WeakMap<Context, string[]>();

/** The URLs of the requests a `$batch` carries (none for any other request). */
export function batchedUrlsOf(context: Context): string[] {
	const option = context.middlewareControl?.getMiddlewareOptions(BatchedUrls) as BatchedUrls | undefined;
	if (option) return option.urls;
	let urls = parsedBatches.get(context);
	if (!urls) {
		urls = batchedUrls(factsOf(context).url, context.options?.body);
		parsedBatches.set(context, urls);
	}
	return urls;
}

/** The URLs of the requests in a `$batch` body (none for any other request). */
export function batchedUrls(url: string, body: unknown): string[] {
	if (!/\/\$batch(\?|$)/.test(url) || typeof body !== 'string') return [];
	try {
		return ((JSON.parse(body) as { requests?: Array<{ url?: string }> }).requests ?? []).map((r) => String(r.url ?? ''));
	} catch {
		return [];
	}
}

/** What the handlers of the chain read about the request in hand. */
export interface RequestFacts {
	url: string;
	method: string;
	/** Safe to send again after a network failure or a 504. */
	idempotent: boolean;
}

export function factsOf(context: Context): RequestFacts {
	const url = typeof context.request === 'string' ? context.request : context.request.url;
	const method = (context.options?.method ?? 'GET').toUpperCase();
	const option = context.middlewareControl?.getMiddlewareOptions(IdempotentRequest) as IdempotentRequest | undefined;
	return { url, method, idempotent: method !== 'POST' || option?.idempotent === true };
}

/**
 * The SDK wraps errors thrown inside its middleware chain into a bare GraphError; our own errors
 * (with status, code and mailbox) are kept here for the call that caused them.
 */
export const failureOfCall = new AsyncLocalStorage<{ error?: Error }>();

export function fail(error: Error): never {
	const holder = failureOfCall.getStore();
	if (holder) holder.error = error;
	throw error;
}

/** Headers of a request as a plain record, with Authorization and Prefer spelled one way. */
export function headerRecord(headers: unknown): Record<string, string> {
	const record: Record<string, string> = {};
	const put = (key: string, value: string) => (record[canonicalHeader(key)] = value);
	if (!headers) return record;
	if (typeof Headers !== 'undefined' && headers instanceof Headers) headers.forEach((value, key) => put(key, value));
	else if (Array.isArray(headers)) for (const [key, value] of headers) put(key, value);
	else for (const [key, value] of Object.entries(headers as Record<string, string>)) put(key, value);
	return record;
}

function canonicalHeader(name: string): string {
	const lower = name.toLowerCase();
	if (lower === 'authorization') return 'Authorization';
	if (lower === 'prefer') return 'Prefer';
	return name;
}

/** The path of a Graph URL without the version, for messages. */
export function shortPath(url: string): string {
	try {
		return new URL(url).pathname.replace(/^\/v1\.0/, '');
	} catch {
		return url;
	}
}

/** The mailbox a Graph URL addresses (`/users/{id}/…`), lower-cased. */
export function mailboxOf(url: string): string | undefined {
	const match = /\/users\/([^/?#]+)/i.exec(url);
	if (!match) return undefined;
	try {
		return decodeURIComponent(match[1]).replace(/^'|'$/g, '').toLowerCase();
	} catch {
		return match[1].toLowerCase();
	}
}

/** A request that had no answer within the transport's time limit. */
export class RequestTimeout extends Error {
	constructor(readonly timeoutMs: number) {
		super(`no answer within ${timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`}`);
		this.name = 'TimeoutError';
	}
}
