import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { ApiFailures } from './errors';
import { forEachItem } from './items';

/**
 * An operation of a node: a batch (`execute`: works its items together, e.g. several mailboxes at a
 * time) or one item at a time (`executeItem`: the router runs it for every item, with "Continue On
 * Fail" and paired items handled here, once).
 */
export type Operation =
	| { execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> }
	| { executeItem(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject | IDataObject[] | undefined> };

/** The router of a node: resource → operation → its module. */
export function routerOf(api: ApiFailures, operations: Record<string, Record<string, Operation>>) {
	return async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const resource = this.getNodeParameter('resource', 0) as string;
		const operation = this.getNodeParameter('operation', 0) as string;
		const handler = operations[resource]?.[operation];
		if (!handler) throw new NodeOperationError(this.getNode(), `The operation "${operation}" of "${resource}" is not supported`);
		if ('execute' in handler) return [await handler.execute.call(this)];
		return [await forEachItem(api, this, (i) => `${resource} ${operation} (item ${i})`, (i) => handler.executeItem.call(this, i))];
	};
}
