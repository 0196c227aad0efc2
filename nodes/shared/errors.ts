import type { IDataObject, IExecuteFunctions, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import type { ErrorClass } from '../../lib/sync/report';

/** How one API's transport reports its failures. */
export interface ApiFailures {
	/** A failed request: its HTTP status (0: no answer), message and the API's error code. */
	request(error: unknown): { status: number; message: string; code?: string; accessDenied?: boolean } | undefined;
	/** A failure to get a token. */
	authentication(error: unknown): { status: number; message: string } | undefined;
	/** What to check when authentication fails. */
	authenticationHint: string;
}

/** Makes any error thrown while handling item `itemIndex` into an n8n error that names the item. */
export function nodeErrorOf(api: ApiFailures, context: IExecuteFunctions, error: unknown, itemIndex: number, what: string): Error {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
	const failed = api.request(error);
	if (failed) {
		return new NodeApiError(context.getNode(), { message: failed.message, code: failed.code ?? '' } as JsonObject, {
			message: `${what}: ${failed.message}`,
			httpCode: failed.status ? String(failed.status) : undefined,
			itemIndex,
		});
	}
	const refused = api.authentication(error);
	if (refused) {
		return new NodeApiError(context.getNode(), { message: refused.message } as JsonObject, {
			message: refused.message,
			description: api.authenticationHint,
			httpCode: String(refused.status || 401),
			itemIndex,
		});
	}
	return new NodeOperationError(context.getNode(), `${what}: ${(error as Error)?.message ?? String(error)}`, { itemIndex });
}

/** The class of a failure, for the run report. */
export function errorClassFor(api: ApiFailures, error: unknown): ErrorClass {
	if (api.authentication(error)) return 'authentication';
	const failed = api.request(error);
	if (!failed) return 'data';
	if (failed.status === 401) return 'authentication';
	if (failed.accessDenied) return 'permission';
	if (failed.status === 0 || failed.status === 429 || failed.status >= 500) return 'transient';
	return 'data';
}

/**
 * A call's result or its failure, as a value: the caller handles the failures it expects (a 404, a
 * stale ETag) and lets any other go on to the router, which makes it an n8n error once, for its item.
 */
export async function outcomeOf<T>(call: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
	try {
		return { ok: true, value: await call };
	} catch (error) {
		return { ok: false, error };
	}
}

/** An input item with no fields (from "Always Output Data" on an empty result) stands for nothing. */
export function isEmptyItem(json: IDataObject): boolean {
	return Object.keys(json).length === 0;
}

/** A JSON parameter: text is parsed (a clear error names the parameter), anything else taken as is. */
export function parseJsonParameter<T>(value: unknown, name: string): T | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	if (typeof value !== 'string') return value as T;
	const parsed = jsonOf(value);
	if (!parsed.ok) throw new Error(`${name} is not valid JSON`);
	return parsed.value as T;
}

/** A JSON parameter (of the first item) that must be a list; empty: undefined. `what` names its entries in the error. */
export function listParameter<T>(context: IExecuteFunctions, name: string, label: string, what?: string): T[] | undefined {
	const value = parseJsonParameter<unknown>(context.getNodeParameter(name, 0, ''), label);
	if (value === undefined) return undefined;
	if (!Array.isArray(value)) throw new NodeOperationError(context.getNode(), `${label} must be a list${what ? ` of ${what}` : ''}`);
	return value as T[];
}

/** JSON text parsed, or why not. */
export function jsonOf(text: string): { ok: true; value: unknown } | { ok: false } {
	try {
		return { ok: true, value: JSON.parse(text) };
	} catch {
		return { ok: false };
	}
}

/** A whole-number setting from 1 to `max`; empty gives `fallback`, anything else names the setting. */
export function concurrencySetting(value: unknown, name: string, fallback: number, max = 64): number {
	if (value === undefined || value === null || value === '') return fallback;
	const limit = Number(value);
	if (!Number.isInteger(limit) || limit < 1 || limit > max) throw new Error(`${name} must be a whole number from 1 to ${max}, not "${String(value)}"`);
	return limit;
}
