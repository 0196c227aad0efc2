import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { LnApiError, LnAuthError } from '../../../lib/ln/transport';
import type { ErrorClass } from '../../../lib/sync/report';
import { errorClassFor, isEmptyItem, listParameter, nodeErrorOf, parseJsonParameter, type ApiFailures } from '../../shared/errors';
import { forEachItem as forEachItemOf, type ItemConcurrency } from '../../shared/items';

export const LN_FAILURES: ApiFailures = {
	request: (error) => (error instanceof LnApiError ? { status: error.status, message: error.message, code: error.lnCode, accessDenied: error.status === 403 } : undefined),
	authentication: (error) => (error instanceof LnAuthError ? { status: error.status, message: error.message } : undefined),
	authenticationHint: 'Check the .ionapi content of the Infor LN credential and that the authorized app is active',
};

/** Makes any error thrown while handling item `itemIndex` into an n8n error that names the item. */
export function toNodeError(context: IExecuteFunctions, error: unknown, itemIndex: number, what: string): Error {
	return nodeErrorOf(LN_FAILURES, context, error, itemIndex, what);
}

export function errorClassOf(error: unknown): ErrorClass {
	return errorClassFor(LN_FAILURES, error);
}

export type { ItemConcurrency };

/** Every input item through `handle`, failures made n8n errors that name the item (shared/items.ts). */
export function forEachItem(
	context: IExecuteFunctions,
	describe: (itemIndex: number) => string,
	handle: (itemIndex: number) => Promise<IDataObject | IDataObject[] | undefined>,
	concurrency?: ItemConcurrency,
): Promise<INodeExecutionData[]> {
	return forEachItemOf(LN_FAILURES, context, describe, handle, concurrency);
}

export { isEmptyItem, listParameter, parseJsonParameter };
