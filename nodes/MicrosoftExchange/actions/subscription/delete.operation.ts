import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { deleteSubscription } from '../../../../lib/graph/subscriptions';
import { show } from '../../descriptions/common';
import { graphTransport } from '../../../shared/graph-transport';

export const description: INodeProperties[] = [
	{
		displayName: 'Subscription ID',
		name: 'subscriptionId',
		type: 'string',
		required: true,
		default: '',
		displayOptions: show('subscription', ['delete']),
	},
];

/** Subscription → Delete. */
export async function executeItem(this: IExecuteFunctions, i: number): Promise<IDataObject> {
	const graph = await graphTransport.call(this);
	const id = String(this.getNodeParameter('subscriptionId', i));
	return { id, deleted: await deleteSubscription(graph, id) };
}
