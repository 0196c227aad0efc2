import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { clientStateKey, signedClientState, verifyClientState } from '../../../../lib/graph/notifications';
import { keepSubscriptions, type SubscriptionResource } from '../../../../lib/graph/subscriptions';
import { secretMaterial } from '../../../../lib/graph/transport';
import { show } from '../../descriptions/common';
import { mailboxList } from '../../helpers/execute';
import { graphTransport } from '../../../shared/graph-transport';
import { changeTypes, mailboxes, watch } from './common';

export const description: INodeProperties[] = [
	mailboxes(['keep']),
	{
		displayName: 'Trigger Path',
		name: 'triggerPath',
		type: 'string',
		required: true,
		default: 'ln-exchange-sync/graph',
		description: 'The Path of the Microsoft Graph Trigger that receives the notifications',
		displayOptions: show('subscription', ['keep']),
	},
	{
		displayName: 'Webhook Base URL',
		name: 'webhookBaseUrl',
		type: 'string',
		default: '',
		placeholder: 'https://n8n.example.com/webhook/',
		description: "Where n8n's production webhooks are; empty takes it from this n8n instance",
		displayOptions: show('subscription', ['keep']),
	},
	watch(['keep']),
	changeTypes(['keep']),
	{
		displayName: 'Margin (Hours)',
		name: 'keepMarginHours',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 56,
		description: 'Subscriptions expiring within this many hours are renewed; run this more often than that',
		displayOptions: show('subscription', ['keep']),
	},
];

/** Subscription → Keep for Mailboxes: one live, signed subscription per mailbox to the trigger; others of the trigger removed. */
export async function executeItem(this: IExecuteFunctions, i: number): Promise<IDataObject[]> {
	const graph = await graphTransport.call(this);
	const key = clientStateKey(secretMaterial(graph.connection));
	const results = await keepSubscriptions(graph, {
		mailboxes: mailboxList(this.getNodeParameter('mailboxes', i)),
		notificationUrl: notificationUrlOf.call(this, i),
		resource: this.getNodeParameter('watch', i) as SubscriptionResource,
		changeTypes: this.getNodeParameter('changeTypes', i) as string[],
		clientState: (mailbox) => signedClientState(key, mailbox),
		acceptsClientState: (clientState) => verifyClientState(key, clientState),
		renewWithinMs: Number(this.getNodeParameter('keepMarginHours', i)) * 3_600_000,
		removeOthers: true,
	});
	return results as unknown as IDataObject[];
}

/** The trigger's production URL: this instance's webhook base plus the trigger's path. */
function notificationUrlOf(this: IExecuteFunctions, i: number): string {
	let base = String(this.getNodeParameter('webhookBaseUrl', i, '') ?? '').trim();
	if (!base) {
		// n8n exposes its webhook base only through the resume URL of the execution.
		const resumeUrl = String(this.evaluateExpression('{{ $execution.resumeUrl }}', i) ?? '');
		base = resumeUrl.replace(/webhook-waiting\/[^/]*$/, 'webhook/');
		if (!/^https?:\/\//.test(base) || base === resumeUrl) throw new Error('The webhook base URL of this n8n is unknown; set Webhook Base URL');
	}
	const path = String(this.getNodeParameter('triggerPath', i)).trim().replace(/^\/+/, '');
	return `${base.replace(/\/+$/, '')}/${path}`;
}
