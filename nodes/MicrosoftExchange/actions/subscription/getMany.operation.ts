import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { listSubscriptions } from '../../../../lib/graph/subscriptions';
import { graphTransport } from '../../../shared/graph-transport';
import { urlContains, urlFilterOf, withoutSecret } from './common';

export const description: INodeProperties[] = [urlContains(['getMany'])];

/** Subscription → Get Many: this app's subscriptions (filtered by notification URL). */
export async function executeItem(this: IExecuteFunctions, i: number): Promise<IDataObject[]> {
	const graph = await graphTransport.call(this);
	const wanted = urlFilterOf.call(this, i);
	return (await listSubscriptions(graph)).filter(wanted).map(withoutSecret);
}
