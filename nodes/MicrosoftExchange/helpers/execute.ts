import type { IDataObject, IExecuteFunctions, INodeExecutionData, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { GraphApiError, GraphAuthError } from '../../../lib/graph/transport';
import type { ErrorClass } from '../../../lib/sync/report';

export function toNodeError(context: IExecuteFunctions, error: unknown, itemIndex: number, what: string): Error {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
	if (error instanceof GraphApiError) {
		return new NodeApiError(context.getNode(), { message: error.message, code: error.code ?? '' } as JsonObject, {
			message: `${what}: ${error.message}`,
			httpCode: error.status ? String(error.status) : undefined,
			itemIndex,
		});
	}
	if (error instanceof GraphAuthError) {
		return new NodeApiError(context.getNode(), { message: error.message } as JsonObject, {
			message: error.message,
			description: 'Check the tenant ID, client ID and client secret of the Microsoft Graph credential, and the admin consent of the app',
			httpCode: String(error.status || 401),
			itemIndex,
		});
	}
	return new NodeOperationError(context.getNode(), `${what}: ${(error as Error)?.message ?? String(error)}`, { itemIndex });
}

export function errorClassOf(error: unknown): ErrorClass {
	if (error instanceof GraphAuthError) return 'authentication';
	if (error instanceof GraphApiError) {
		if (error.status === 401) return 'authentication';
		if (error.isMailboxAccessError) return 'permission';
		if (error.status === 0 || error.status === 429 || error.status >= 500) return 'transient';
		return 'data';
	}
	return 'data';
}

export function isEmptyItem(json: IDataObject): boolean {
	return Object.keys(json).length === 0;
}

export function parseJson<T>(value: unknown, name: string): T | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	if (typeof value !== 'string') return value as T;
	try {
		return JSON.parse(value) as T;
	} catch {
		throw new Error(`${name} is not valid JSON`);
	}
}

/** A mailbox parameter: one address, a comma/semicolon separated list, or a list from an expression. */
export function mailboxList(value: unknown): string[] {
	const raw = Array.isArray(value) ? value : String(value ?? '').split(/[,;\s]+/);
	const list = raw
		.map((entry) => (typeof entry === 'object' && entry !== null ? String((entry as IDataObject).email ?? (entry as IDataObject).mail ?? '') : String(entry)))
		.map((entry) => entry.trim().toLowerCase())
		.filter(Boolean);
	return [...new Set(list)];
}

/** Groups input item indexes by the value a parameter has for each item. */
export function groupBy(indexes: number[], keyOf: (index: number) => string): Map<string, number[]> {
	const groups = new Map<string, number[]>();
	for (const index of indexes) {
		const key = keyOf(index);
		groups.set(key, [...(groups.get(key) ?? []), index]);
	}
	return groups;
}

/** Runs tasks with at most `limit` at once, keeping result order. */
export async function mapLimit<T, R>(values: T[], limit: number, task: (value: T) => Promise<R>): Promise<R[]> {
	const results: R[] = new Array(values.length);
	let next = 0;
	const workers = Array.from({ length: Math.min(limit, values.length) }, async () => {
		while (next < values.length) {
			const index = next++;
			results[index] = await task(values[index]);
		}
	});
	await Promise.all(workers);
	return results;
}

export function output(json: IDataObject, items: number | number[]): INodeExecutionData {
	const list = Array.isArray(items) ? items : [items];
	return { json, pairedItem: list.length === 1 ? { item: list[0] } : list.map((item) => ({ item })) };
}
