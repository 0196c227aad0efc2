import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { listSubscriptions, renewSubscription } from '../../../../lib/graph/subscriptions';
import { GraphApiError } from '../../../../lib/graph/transport';
import { show } from '../../descriptions/common';
import { graphTransport } from '../../../shared/graph-transport';
import { outcomeOf } from '../../../shared/errors';
import { minutes, urlContains, urlFilterOf, withoutSecret } from './common';

export const description: INodeProperties[] = [
	{
		displayName: 'Renew',
		name: 'renewWhich',
		type: 'options',
		options: [
			{ name: 'Subscriptions Expiring Soon', value: 'expiring', description: "All of this app's subscriptions that expire within the margin" },
			{ name: 'One Subscription', value: 'one' },
		],
		default: 'expiring',
		displayOptions: show('subscription', ['renew']),
	},
	{
		displayName: 'Subscription ID',
		name: 'subscriptionId',
		type: 'string',
		required: true,
		default: '',
		displayOptions: { show: { resource: ['subscription'], operation: ['renew'], renewWhich: ['one'] } },
	},
	{
		displayName: 'Margin (Hours)',
		name: 'marginHours',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 48,
		description: 'Subscriptions expiring within this many hours are renewed',
		displayOptions: { show: { resource: ['subscription'], operation: ['renew'], renewWhich: ['expiring'] } },
	},
	urlContains(['renew']),
	minutes(['renew']),
];

/** Subscription → Renew: one subscription, or all of this app's that expire within the margin. */
export async function executeItem(this: IExecuteFunctions, i: number): Promise<IDataObject[]> {
	const graph = await graphTransport.call(this);
	const lifetime = Number(this.getNodeParameter('minutes', i));
	if (this.getNodeParameter('renewWhich', i) === 'one') {
		return [withoutSecret(await renewSubscription(graph, String(this.getNodeParameter('subscriptionId', i)), lifetime))];
	}
	const wanted = urlFilterOf.call(this, i);
	const limit = Date.now() + Number(this.getNodeParameter('marginHours', i)) * 3_600_000;
	const results: IDataObject[] = [];
	for (const subscription of (await listSubscriptions(graph)).filter(wanted)) {
		const expires = Date.parse(subscription.expirationDateTime ?? '');
		if (Number.isFinite(expires) && expires > limit) {
			results.push({ ...withoutSecret(subscription), renewed: false, reason: 'not expiring within the margin' });
			continue;
		}
		const renewal = await outcomeOf(renewSubscription(graph, subscription.id!, lifetime));
		if (renewal.ok) {
			results.push({ ...withoutSecret(renewal.value), renewed: true });
			continue;
		}
		if (!(renewal.error instanceof GraphApiError) || renewal.error.status !== 404) throw renewal.error;
		results.push({ id: subscription.id, renewed: false, reason: 'gone; the trigger recreates it when it is next activated' });
	}
	return results;
}
