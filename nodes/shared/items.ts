import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { mapLimit } from '../../lib/http/semaphore';
import { ledgerFor } from '../../lib/sync/report';
import { errorClassFor, nodeErrorOf, type ApiFailures } from './errors';

export interface ItemConcurrency {
	/** Items worked at a time (LN's request cap of the credential). */
	limit: number;
	/** Items with the same key (e.g. one LN activity) are worked one after another, in input order. */
	keyOf: (itemIndex: number) => string;
}

/**
 * Runs `handle` for every input item, one at a time or, given `concurrency`, several at a time with
 * the items of one key in order; the output keeps the input order. With "Continue On Fail", a failing
 * item gives one error item (paired with it) and the others go on; otherwise a failure stops the node.
 */
export async function forEachItem(
	api: ApiFailures,
	context: IExecuteFunctions,
	describe: (itemIndex: number) => string,
	handle: (itemIndex: number) => Promise<IDataObject | IDataObject[] | undefined>,
	concurrency?: ItemConcurrency,
): Promise<INodeExecutionData[]> {
	const items = context.getInputData();
	const ledger = ledgerFor(context.getExecutionId());
	const work = async (i: number): Promise<INodeExecutionData[]> => {
		try {
			const result = await handle(i);
			if (result === undefined) return [];
			return (Array.isArray(result) ? result : [result]).map((json) => ({ json, pairedItem: { item: i } }));
		} catch (error) {
			const what = describe(i);
			const nodeError = nodeErrorOf(api, context, error, i, what);
			ledger.error(mailboxOf(items[i].json), what, errorClassFor(api, error), nodeError.message);
			if (context.continueOnFail()) {
				// `error` on the item sends it to the error output when the node has one ("On Error: Continue (using error output)").
				return [{ json: { error: nodeError.message, item: what }, error: nodeError as INodeExecutionData['error'], pairedItem: { item: i } }];
			}
			throw nodeError;
		}
	};
	const indexes = items.map((_, i) => i);
	if (!concurrency || concurrency.limit <= 1) {
		const output: INodeExecutionData[] = [];
		for (const i of indexes) output.push(...(await work(i)));
		return output;
	}
	const queues = new Map<string, number[]>();
	for (const i of indexes) {
		const key = concurrency.keyOf(i);
		queues.set(key, [...(queues.get(key) ?? []), i]);
	}
	const results: INodeExecutionData[][] = [];
	let failure: unknown;
	await mapLimit([...queues.values()], concurrency.limit, async (queue) => {
		for (const i of queue) {
			if (failure) return;
			try {
				results[i] = await work(i);
			} catch (error) {
				failure ??= error;
			}
		}
	});
	if (failure) throw failure;
	return indexes.flatMap((i) => results[i] ?? []);
}

/** The sync user an item is about, so a failure lands in that user's report. */
function mailboxOf(json: IDataObject): string | undefined {
	const value = json.mailbox ?? json.email;
	return typeof value === 'string' && value.includes('@') ? value.toLowerCase() : undefined;
}
