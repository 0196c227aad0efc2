import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { clientStateKey, signedClientState, verifyClientState } from '../../../../lib/graph/notifications';
import {
	createSubscription,
	deleteSubscription,
	keepSubscriptions,
	listSubscriptions,
	MAX_SUBSCRIPTION_MINUTES,
	renewSubscription,
	type SubscriptionResource,
} from '../../../../lib/graph/subscriptions';
import { GraphApiError, secretMaterial } from '../../../../lib/graph/transport';
import { show } from '../../descriptions/common';
import { mailboxList, output, toNodeError } from '../../helpers/execute';
import { graphTransport } from '../../transport';
import { CHANGE_TYPE_OPTIONS, WATCH_OPTIONS } from '../../../shared/subscription-properties';
import { outcomeOf } from '../../../shared/errors';

export const description: INodeProperties[] = [
	{
		displayName: 'Mailboxes',
		name: 'mailboxes',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'name@email.com, other@email.com',
		description: 'One subscription per mailbox (a comma-separated list, or a list from an expression)',
		displayOptions: show('subscription', ['create', 'keep']),
	},
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
	{
		displayName: 'Watch',
		name: 'watch',
		type: 'options',
		options: WATCH_OPTIONS,
		default: 'events',
		displayOptions: show('subscription', ['create', 'keep']),
	},
	{
		displayName: 'Change Types',
		name: 'changeTypes',
		type: 'multiOptions',
		options: CHANGE_TYPE_OPTIONS,
		default: ['created', 'updated', 'deleted'],
		displayOptions: show('subscription', ['create', 'keep']),
	},
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
	{
		displayName: 'Subscription ID',
		name: 'subscriptionId',
		type: 'string',
		required: true,
		default: '',
		displayOptions: show('subscription', ['delete']),
	},
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
	{
		displayName: 'Margin (Hours)',
		name: 'keepMarginHours',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 56,
		description: 'Subscriptions expiring within this many hours are renewed; run this more often than that',
		displayOptions: show('subscription', ['keep']),
	},
	{
		displayName: 'Notification URL Contains',
		name: 'urlContains',
		type: 'string',
		default: '',
		description: 'Only subscriptions whose notification URL contains this text (e.g. the push workflow\'s webhook path); empty renews all of this app',
		displayOptions: show('subscription', ['renew', 'getMany']),
	},
	{
		displayName: 'Minutes',
		name: 'minutes',
		type: 'number',
		typeOptions: { minValue: 45, maxValue: MAX_SUBSCRIPTION_MINUTES },
		default: MAX_SUBSCRIPTION_MINUTES,
		description: 'New lifetime; Graph allows at most 10,080 minutes for Outlook resources',
		displayOptions: show('subscription', ['create', 'renew']),
	},
];

/** Subscription → Create / Renew / Delete / Get Many. */
export async function execute(this: IExecuteFunctions, operation: string): Promise<INodeExecutionData[]> {
	const graph = await graphTransport.call(this);
	const items = this.getInputData();
	const out: INodeExecutionData[] = [];
	for (let i = 0; i < items.length; i++) {
		try {
			if (operation === 'create') {
				for (const mailbox of mailboxList(this.getNodeParameter('mailboxes', i))) {
					const created = await createSubscription(graph, {
						mailbox,
						resource: this.getNodeParameter('watch', i) as SubscriptionResource,
						changeTypes: this.getNodeParameter('changeTypes', i) as string[],
						notificationUrl: String(this.getNodeParameter('notificationUrl', i)),
						clientState: String(this.getNodeParameter('clientState', i, '')) || undefined,
						minutes: Number(this.getNodeParameter('minutes', i)),
					});
					out.push(output(withoutSecret(created), i));
				}
			} else if (operation === 'delete') {
				const id = String(this.getNodeParameter('subscriptionId', i));
				out.push(output({ id, deleted: await deleteSubscription(graph, id) }, i));
			} else if (operation === 'getMany') {
				const contains = String(this.getNodeParameter('urlContains', i, ''));
				for (const subscription of await listSubscriptions(graph)) {
					if (contains && !String(subscription.notificationUrl ?? '').includes(contains)) continue;
					out.push(output(withoutSecret(subscription), i));
				}
			} else if (operation === 'keep') {
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
				for (const result of results) out.push(output(result as unknown as IDataObject, i));
			} else if (operation === 'renew') {
				const minutes = Number(this.getNodeParameter('minutes', i));
				if (this.getNodeParameter('renewWhich', i) === 'one') {
					out.push(output(withoutSecret(await renewSubscription(graph, String(this.getNodeParameter('subscriptionId', i)), minutes)), i));
					continue;
				}
				const contains = String(this.getNodeParameter('urlContains', i, ''));
				const limit = Date.now() + Number(this.getNodeParameter('marginHours', i)) * 3_600_000;
				for (const subscription of await listSubscriptions(graph)) {
					if (contains && !String(subscription.notificationUrl ?? '').includes(contains)) continue;
					const expires = Date.parse(subscription.expirationDateTime ?? '');
					if (Number.isFinite(expires) && expires > limit) {
						out.push(output({ ...withoutSecret(subscription), renewed: false, reason: 'not expiring within the margin' }, i));
						continue;
					}
					const renewal = await outcomeOf(renewSubscription(graph, subscription.id!, minutes));
					if (renewal.ok) {
						out.push(output({ ...withoutSecret(renewal.value), renewed: true }, i));
						continue;
					}
					if (!(renewal.error instanceof GraphApiError) || renewal.error.status !== 404) throw renewal.error;
					out.push(output({ id: subscription.id, renewed: false, reason: 'gone; the trigger recreates it when it is next activated' }, i));
				}
			}
		} catch (error) {
			const nodeError = toNodeError(this, error, i, `Subscription ${operation}`);
			if (!this.continueOnFail()) throw nodeError;
			out.push(output({ error: nodeError.message }, i));
		}
	}
	return out;
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

/** A subscription without its clientState: that secret never goes into node output. */
function withoutSecret(subscription: object): IDataObject {
	const copy = { ...(subscription as IDataObject) };
	delete copy.clientState;
	return copy;
}
