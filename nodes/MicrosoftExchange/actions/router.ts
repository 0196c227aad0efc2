import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import * as syncToFolder from './contact/syncToFolder.operation';
import * as get from './event/get.operation';
import * as getChanges from './event/getChanges.operation';
import * as linkToLnActivity from './event/linkToLnActivity.operation';
import * as syncFromLnActivity from './event/syncFromLnActivity.operation';
import * as send from './mail/send.operation';
import * as subscription from './subscription/operations';

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const resource = this.getNodeParameter('resource', 0) as string;
	const operation = this.getNodeParameter('operation', 0) as string;
	if (resource === 'contact' && operation === 'syncToFolder') return [await syncToFolder.execute.call(this)];
	if (resource === 'event') {
		if (operation === 'syncFromLnActivity') return [await syncFromLnActivity.execute.call(this)];
		if (operation === 'getChanges') return [await getChanges.execute.call(this)];
		if (operation === 'linkToLnActivity') return [await linkToLnActivity.execute.call(this)];
		if (operation === 'get') return [await get.execute.call(this)];
	}
	if (resource === 'mail' && operation === 'send') return [await send.execute.call(this)];
	if (resource === 'subscription' && ['create', 'keep', 'renew', 'delete', 'getMany'].includes(operation)) {
		return [await subscription.execute.call(this, operation)];
	}
	throw new NodeOperationError(this.getNode(), `The operation "${operation}" of "${resource}" is not supported`);
}
