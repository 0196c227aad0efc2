import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { LnApiError, LnAuthError } from '../../../lib/ln/transport';
import { ledgerFor, type ErrorClass } from '../../../lib/sync/report';
import { errorClassFor, isEmptyItem, nodeErrorOf, parseJsonParameter, type ApiFailures } from '../../shared/errors';

const LN_FAILURES: ApiFailures = {
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
				// `error` on the item sends it to the error output when the node has one ("On Error: Continue (using error output)").
				output.push({ json: { error: nodeError.message, item: what }, error: nodeError as INodeExecutionData['error'], pairedItem: { item: i } });
				continue;
			}
			throw nodeError;
		}
	}
	return output;
}

export { isEmptyItem, parseJsonParameter };
