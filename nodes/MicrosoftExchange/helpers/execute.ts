import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { mapLimit } from '../../../lib/http/semaphore';
import { GraphApiError, GraphAuthError } from '../../../lib/graph/transport';
import { workflowStateStore, type SyncStateStore } from '../../../lib/graph/sync-state';
import { ledgerFor, type ErrorClass } from '../../../lib/sync/report';
import { concurrencySetting, errorClassFor, isEmptyItem, listParameter, nodeErrorOf, parseJsonParameter, type ApiFailures } from '../../shared/errors';
import { DEFAULT_MAILBOXES_AT_A_TIME } from '../descriptions/common';

export const GRAPH_FAILURES: ApiFailures = {
	request: (error) =>
		error instanceof GraphApiError ? { status: error.status, message: error.message, code: error.code, accessDenied: error.isMailboxAccessError } : undefined,
	authentication: (error) => (error instanceof GraphAuthError ? { status: error.status, message: error.message } : undefined),
	authenticationHint: 'Check the tenant ID, client ID and client secret of the Microsoft Graph credential, and the admin consent of the app',
};

/** Makes any error thrown while handling item `itemIndex` into an n8n error that names the item. */
export function toNodeError(context: IExecuteFunctions, error: unknown, itemIndex: number, what: string): Error {
	return nodeErrorOf(GRAPH_FAILURES, context, error, itemIndex, what);
}

export function errorClassOf(error: unknown): ErrorClass {
	return errorClassFor(GRAPH_FAILURES, error);
}

export { isEmptyItem, listParameter, parseJsonParameter as parseJson };

/** A mailbox parameter: one address, a comma/semicolon separated list, or a list from an expression. */
export function mailboxList(value: unknown): string[] {
	const raw = Array.isArray(value) ? value : String(value ?? '').split(/[,;\s]+/);
	const list = raw
		.map((entry) => (typeof entry === 'object' && entry !== null ? String((entry as IDataObject).email ?? (entry as IDataObject).mail ?? '') : String(entry)))
		.map((entry) => entry.trim().toLowerCase())
		.filter(Boolean);
	return [...new Set(list)];
}

export { mapLimit };

export function output(json: IDataObject, items: number | number[]): INodeExecutionData {
	const list = Array.isArray(items) ? items : [items];
	return { json, pairedItem: list.length === 1 ? { item: list[0] } : list.map((item) => ({ item })) };
}

/** "Mailboxes at a Time" of the node (`value`: the parameter as read), or an error naming it. */
export function mailboxesAtATimeOf(context: IExecuteFunctions, value: unknown, what: string): number {
	try {
		return concurrencySetting(value, 'Mailboxes at a Time', DEFAULT_MAILBOXES_AT_A_TIME);
	} catch (error) {
		throw toNodeError(context, error, 0, what);
	}
}

/**
 * Where this execution keeps cursors and the notes of our writes: the rows it leased from the
 * mailbox Data Table (Mailbox State → Load), or else the workflow's static data. `cursors` is the
 * static data of the node that reads changes.
 */
export function syncStateOf(context: IExecuteFunctions, cursors?: IDataObject): SyncStateStore {
	return ledgerFor(context.getExecutionId()).leasedState ?? workflowStateStore(context.getWorkflowStaticData('global'), cursors);
}
