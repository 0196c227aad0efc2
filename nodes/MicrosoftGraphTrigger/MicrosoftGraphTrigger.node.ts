import type {
	IDataObject,
	IHookFunctions,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeApiError, NodeConnectionTypes, NodeOperationError, type JsonObject } from 'n8n-workflow';

import {
	changeKey,
	checkNotifications,
	RecentChanges,
	secretClientState,
	toChangeItem,
	type GraphNotification,
	type KnownSubscription,
} from '../../lib/graph/notifications';
import {
	createSubscription,
	deleteSubscription,
	listSubscriptions,
	MAX_SUBSCRIPTION_MINUTES,
	newClientState,
	renewSubscription,
	resourcePath,
	type SubscriptionResource,
} from '../../lib/graph/subscriptions';
import { GraphApiError, type GraphTransport } from '../../lib/graph/transport';
import { mailboxList } from '../MicrosoftExchange/helpers/execute';
import { GRAPH_CREDENTIAL, graphTransport } from '../MicrosoftExchange/transport';

interface TriggerState {
	subscriptions?: Record<string, KnownSubscription>;
	/** Notifications refused because their clientState did not match. */
	rejected?: number;
}

/** Repeats of one change within a minute are emitted once (per process). */
const recent = new RecentChanges(60_000);

/** Renew when less than this is left (a third of the longest lifetime). */
const RENEW_MARGIN_MS = (MAX_SUBSCRIPTION_MINUTES * 60_000) / 3;

export class MicrosoftGraphTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Microsoft Graph Trigger',
		name: 'microsoftGraphTrigger',
		icon: 'file:microsoftGraphTrigger.svg',
		group: ['trigger'],
		version: 1,
		subtitle: '={{ "Changes in " + $parameter["watch"] }}',
		description: 'Starts the workflow when events (or contacts) change in the watched Exchange mailboxes, with Graph subscriptions it keeps alive',
		defaults: { name: 'Microsoft Graph Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: GRAPH_CREDENTIAL, required: true }],
		webhooks: [
			{
				name: 'default',
				httpMethod: 'POST',
				responseMode: 'onReceived',
				path: 'webhook',
			},
		],
		properties: [
			{
				displayName: 'Mailboxes',
				name: 'mailboxes',
				type: 'string',
				required: true,
				default: '',
				placeholder: 'name@email.com, other@email.com',
				description: 'The sync users whose mailboxes are watched; one subscription each',
			},
			{
				displayName: 'Watch',
				name: 'watch',
				type: 'options',
				options: [
					{ name: 'Calendar Events', value: 'events' },
					{ name: 'Contacts', value: 'contacts' },
				],
				default: 'events',
			},
			{
				displayName: 'Change Types',
				name: 'changeTypes',
				type: 'multiOptions',
				options: [
					{ name: 'Created', value: 'created' },
					{ name: 'Updated', value: 'updated' },
					{ name: 'Deleted', value: 'deleted' },
				],
				default: ['created', 'updated', 'deleted'],
			},
			{
				displayName: 'Client State Secret',
				name: 'clientStateSecret',
				type: 'string',
				typeOptions: { password: true },
				default: '',
				description:
					'Optional. With a secret, each subscription gets a random clientState signed with it, so Subscription → Renew in another workflow can add subscriptions this trigger accepts. Without one, each clientState is random and kept here.',
			},
		],
	};

	webhookMethods = {
		default: {
			/** True when every watched mailbox has a live subscription to this webhook. */
			async checkExists(this: IHookFunctions): Promise<boolean> {
				const state = this.getWorkflowStaticData('node') as TriggerState;
				const url = this.getNodeWebhookUrl('default')!;
				const wanted = mailboxList(this.getNodeParameter('mailboxes'));
				const resource = this.getNodeParameter('watch') as SubscriptionResource;
				const graph = await graphTransport.call(this, false);
				const live = new Map((await listSubscriptions(graph)).map((s) => [s.id!, s]));
				const known = state.subscriptions ?? {};
				for (const [mailbox, subscription] of Object.entries(known)) {
					const current = live.get(subscription.id);
					if (!current || current.notificationUrl !== url || !wanted.includes(mailbox)) delete known[mailbox];
				}
				state.subscriptions = known;
				return wanted.every((mailbox) => known[mailbox] && known[mailbox].resource === resourcePath(mailbox, resource));
			},

			/** One subscription per watched mailbox, reusing live ones; the longest lifetime Graph allows. */
			async create(this: IHookFunctions): Promise<boolean> {
				const state = this.getWorkflowStaticData('node') as TriggerState;
				const url = this.getNodeWebhookUrl('default')!;
				const resource = this.getNodeParameter('watch') as SubscriptionResource;
				const changeTypes = this.getNodeParameter('changeTypes') as string[];
				const secret = String(this.getNodeParameter('clientStateSecret', '') ?? '');
				const graph = await graphTransport.call(this, false);
				const known = (state.subscriptions ??= {});
				const existing = await listSubscriptions(graph);
				for (const mailbox of mailboxList(this.getNodeParameter('mailboxes'))) {
					if (known[mailbox]) continue;
					const path = resourcePath(mailbox, resource);
					// A subscription of ours that we cannot verify (its clientState is unknown) is replaced, since Graph refuses duplicates.
					for (const stale of existing.filter((s) => s.notificationUrl === url && s.resource?.toLowerCase() === path.toLowerCase())) {
						await deleteSubscription(graph, stale.id!);
					}
					const clientState = secret ? secretClientState(secret) : newClientState();
					try {
						const created = await createSubscription(graph, { mailbox, resource, changeTypes, notificationUrl: url, clientState });
						known[mailbox] = { id: created.id!, mailbox, expiration: created.expirationDateTime!, resource: path, ...(secret ? {} : { clientState }) };
					} catch (error) {
						throw new NodeApiError(this.getNode(), { message: (error as Error).message } as JsonObject, {
							message: `Could not subscribe to ${mailbox}: ${(error as Error).message}`,
						});
					}
				}
				return true;
			},

			/** Deletes the subscriptions; one that is already gone is fine. */
			async delete(this: IHookFunctions): Promise<boolean> {
				const state = this.getWorkflowStaticData('node') as TriggerState;
				const graph = await graphTransport.call(this, false);
				for (const subscription of Object.values(state.subscriptions ?? {})) await deleteSubscription(graph, subscription.id);
				state.subscriptions = {};
				return true;
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const response = this.getResponseObject();
		const query = this.getQueryData() as IDataObject;
		if (typeof query.validationToken === 'string') {
			// The handshake: the token back as plain text, and nothing else.
			response.status(200).type('text/plain').send(query.validationToken);
			return { noWebhookResponse: true };
		}
		const body = this.getBodyData() as { value?: unknown };
		if (!body || !Array.isArray(body.value)) {
			response.status(400).type('text/plain').send('Expected a Microsoft Graph notification');
			return { noWebhookResponse: true };
		}
		// Graph wants an answer within 3 seconds: acknowledge first, then work.
		response.status(202).end();
		const state = this.getWorkflowStaticData('node') as TriggerState;
		const known = (state.subscriptions ??= {});
		const secret = String(this.getNodeParameter('clientStateSecret', '') ?? '');
		const { accepted, rejected } = checkNotifications(body.value as GraphNotification[], known, secret || undefined);
		if (rejected > 0) state.rejected = (state.rejected ?? 0) + rejected;
		const items: IDataObject[] = [];
		let graph: GraphTransport | undefined;
		const transport = async () => (graph ??= await graphTransport.call(this, false));
		for (const notification of accepted) {
			if (notification.lifecycleEvent) {
				const item = await handleLifecycle.call(this, notification, known, await transport(), secret);
				if (item) items.push(item);
				continue;
			}
			if (!recent.firstTime(changeKey(notification))) continue;
			items.push(toChangeItem(notification, known) as unknown as IDataObject);
		}
		await renewExpiring.call(this, known, transport);
		if (items.length === 0) return { noWebhookResponse: true };
		return { noWebhookResponse: true, workflowData: [this.helpers.returnJsonArray(items)] };
	}
}

async function handleLifecycle(
	this: IWebhookFunctions,
	notification: GraphNotification,
	known: Record<string, KnownSubscription>,
	graph: GraphTransport,
	secret: string,
): Promise<IDataObject | undefined> {
	const subscription = Object.values(known).find((s) => s.id === notification.subscriptionId);
	if (!subscription) return undefined;
	if (notification.lifecycleEvent === 'reauthorizationRequired') {
		const renewed = await renewSubscription(graph, subscription.id);
		subscription.expiration = renewed.expirationDateTime ?? subscription.expiration;
		return undefined;
	}
	if (notification.lifecycleEvent === 'subscriptionRemoved') {
		const resource = /\/contacts$/i.test(subscription.resource) ? 'contacts' : 'events';
		const clientState = secret ? secretClientState(secret) : newClientState();
		const created = await createSubscription(graph, {
			mailbox: subscription.mailbox,
			resource,
			changeTypes: this.getNodeParameter('changeTypes') as string[],
			notificationUrl: this.getNodeWebhookUrl('default')!,
			clientState,
		});
		known[subscription.mailbox] = { ...subscription, id: created.id!, expiration: created.expirationDateTime!, ...(secret ? {} : { clientState }) };
		// Changes may have happened while there was no subscription.
		return { kind: 'resync', mailbox: subscription.mailbox, subscriptionId: created.id!, reason: 'subscription removed and recreated' };
	}
	if (notification.lifecycleEvent === 'missed') {
		return { kind: 'resync', mailbox: subscription.mailbox, subscriptionId: subscription.id, reason: 'notifications were missed' };
	}
	return undefined;
}

/** Renews subscriptions close to expiry whenever notifications arrive (the schedule renews the rest). */
async function renewExpiring(
	this: IWebhookFunctions,
	known: Record<string, KnownSubscription>,
	transport: () => Promise<GraphTransport>,
): Promise<void> {
	for (const subscription of Object.values(known)) {
		if (Date.parse(subscription.expiration) - Date.now() > RENEW_MARGIN_MS) continue;
		try {
			const renewed = await renewSubscription(await transport(), subscription.id);
			subscription.expiration = renewed.expirationDateTime ?? subscription.expiration;
		} catch (error) {
			if (error instanceof GraphApiError && error.status === 404) continue;
			throw new NodeOperationError(this.getNode(), `Could not renew the subscription of ${subscription.mailbox}: ${(error as Error).message}`);
		}
	}
}
