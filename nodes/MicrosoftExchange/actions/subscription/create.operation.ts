import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { createSubscription, type SubscriptionResource } from '../../../../lib/graph/subscriptions';
import { show } from '../../descriptions/common';
import { mailboxList } from '../../helpers/execute';
import { graphTransport } from '../../../shared/graph-transport';
import { changeTypes, mailboxes, minutes, watch, withoutSecret } from './common';

export const description: INodeProperties[] = [
	mailboxes(['create']),
	watch(['create']),
	changeTypes(['create']),
	{
		displayName: 'Notification URL',
		name: 'notificationUrl',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'https://n8n.example.com/webhook/…/webhook',
		description: 'Where Graph sends notifications (it must answer the validation request); also used for lifecycle notifications',
		displayOptions: show('subscription', ['create']),
	},
	{
		displayName: 'Client State',
		name: 'clientState',
		type: 'string',
		typeOptions: { password: true },
		default: '',
		description: 'Secret echoed in every notification; empty makes a random one',
		displayOptions: show('subscription', ['create']),
	},
	minutes(['create']),
];

/** Subscription → Create: one subscription per mailbox of the item. */
export async function executeItem(this: IExecuteFunctions, i: number): Promise<IDataObject[]> {
	const graph = await graphTransport.call(this);
	const created: IDataObject[] = [];
	for (const mailbox of mailboxList(this.getNodeParameter('mailboxes', i))) {
		const subscription = await createSubscription(graph, {
			mailbox,
			resource: this.getNodeParameter('watch', i) as SubscriptionResource,
			changeTypes: this.getNodeParameter('changeTypes', i) as string[],
			notificationUrl: String(this.getNodeParameter('notificationUrl', i)),
			clientState: String(this.getNodeParameter('clientState', i, '')) || undefined,
			minutes: Number(this.getNodeParameter('minutes', i)),
		});
		created.push(withoutSecret(subscription));
	}
	return created;
}
