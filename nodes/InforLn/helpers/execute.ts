import type { IDataObject, IExecuteFunctions, INodeExecutionData, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { LnApiError, LnAuthError } from '../../../lib/ln/transport';
import { ledgerFor, type ErrorClass } from '../../../lib/sync/report';

/** Makes any error thrown while handling item `itemIndex` into an n8n error that names the item. */
export function toNodeError(context: IExecuteFunctions, error: unknown, itemIndex: number, what: string): Error {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
	if (error instanceof LnApiError) {
		return new NodeApiError(context.getNode(), { message: error.message, code: error.lnCode ?? '' } as JsonObject, {
			message: `${what}: ${error.message}`,
			httpCode: error.status ? String(error.status) : undefined,
			itemIndex,
		});
	}
	if (error instanceof LnAuthError) {
		return new NodeApiError(context.getNode(), { message: error.message } as JsonObject, {
			message: error.message,
			description: 'Check the .ionapi content of the Infor LN credential and that the authorized app is active',
			httpCode: String(error.status || 401),
			itemIndex,
		});
	}
	return new NodeOperationError(context.getNode(), `${what}: ${(error as Error)?.message ?? String(error)}`, { itemIndex });
}

export function errorClassOf(error: unknown): ErrorClass {
	if (error instanceof LnAuthError) return 'authentication';
	if (error instanceof LnApiError) {
		if (error.status === 401) return 'authentication';
		if (error.status === 403) return 'permission';
		if (error.status === 0 || error.status === 429 || error.status >= 500) return 'transient';
		return 'data';
	}
	return 'data';
}

/**
 * Runs `handle` for every input item. With "Continue On Fail", a failing item gives one error item
 * (paired with it) and the others go on; otherwise the first failure stops the node.
 */
export async function forEachItem(
	context: IExecuteFunctions,
	describe: (itemIndex: number) => string,
	handle: (itemIndex: number) => Promise<IDataObject | IDataObject[] | undefined>,
): Promise<INodeExecutionData[]> {
	const items = context.getInputData();
	const output: INodeExecutionData[] = [];
	const ledger = ledgerFor(context.getExecutionId());
	for (let i = 0; i < items.length; i++) {
		try {
			const result = await handle(i);
			if (result === undefined) continue;
			for (const json of Array.isArray(result) ? result : [result]) output.push({ json, pairedItem: { item: i } });
		} catch (error) {
			const what = describe(i);
			const nodeError = toNodeError(context, error, i, what);
			ledger.error(undefined, what, errorClassOf(error), nodeError.message);
			if (context.continueOnFail()) {
				output.push({ json: { error: nodeError.message, item: what }, pairedItem: { item: i } });
				continue;
			}
			throw nodeError;
		}
	}
	return output;
}

/** An input item with no fields (from "Always Output Data" on an empty result) stands for nothing. */
export function isEmptyItem(json: IDataObject): boolean {
	return Object.keys(json).length === 0;
}

export function parseJsonParameter<T>(value: unknown, name: string): T | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	if (typeof value !== 'string') return value as T;
	try {
		return JSON.parse(value) as T;
	} catch {
		throw new Error(`${name} is not valid JSON`);
	}
}
