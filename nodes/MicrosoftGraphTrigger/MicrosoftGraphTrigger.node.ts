import type {
	IDataObject,
	IHookFunctions,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeApiError, NodeConnectionTypes, type JsonObject } from 'n8n-workflow';

import {
	boundToSubscription,
	changeKey,
	checkNotifications,
	clientStateKey,
	clientStateTag,
	knownById,
	mailboxOfClientState,
	MAX_KNOWN_SUBSCRIPTIONS,
	RecentChanges,
	SUBSCRIPTION_ID,
	signedClientState,
	toChangeItem,
	verifyClientState,
	type GraphNotification,
	type KnownSubscription,
} from '../../lib/graph/notifications';
import {
	createSubscription,
	deleteSubscription,
	keepSubscriptions,
	listSubscriptions,
	mailboxOfResource,
	MAX_SUBSCRIPTION_MINUTES,
	renewSubscription,
	type SubscriptionResource,
} from '../../lib/graph/subscriptions';
import { GraphApiError, secretMaterial, type GraphTransport } from '../../lib/graph/transport';
import { mailboxList } from '../MicrosoftExchange/helpers/execute';
import { graphCredentialTest, graphTransport } from '../shared/graph-transport';
import { CHANGE_TYPE_OPTIONS, WATCH_OPTIONS } from '../shared/subscription-properties';
import { outcomeOf } from '../shared/errors';

interface TriggerState {
	/** Subscriptions by id (including those Subscription → Keep for Mailboxes made). */
	subscriptions?: Record<string, KnownSubscription>;
}

/** Repeats of one change within a minute are emitted once (per process). */
const recent = new RecentChanges(60_000);

/** Renew when less than this is left (a third of the longest lifetime). */
const RENEW_MARGIN_MS = (MAX_SUBSCRIPTION_MINUTES * 60_000) / 3;

const DEFAULT_TRIGGER_PATH = 'ln-exchange-sync/graph';

export class MicrosoftGraphTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Microsoft Graph Trigger',
		name: 'microsoftGraphTrigger',
		icon: { light: 'file:microsoftGraphTrigger.svg', dark: 'file:microsoftGraphTrigger.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{ "Changes in " + $parameter["watch"] }}',
		description: 'Starts the workflow when events (or contacts) change in Exchange mailboxes, through Graph subscriptions it keeps alive',
		defaults: { name: 'Microsoft Graph Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'microsoftGraphAppOnlyApi', required: true, testedBy: 'microsoftGraphAppOnlyApiTest' }],
		webhooks: [
			{
				name: 'default',
				httpMethod: 'POST',
				responseMode: 'onReceived',
				path: '={{$parameter["path"]}}',
				isFullPath: true,
			},
		],
		properties: [
			{
				displayName: 'Mailboxes',
				name: 'mailboxes',
				type: 'string',
				default: '',
				placeholder: 'name@email.com, other@email.com',
				description:
					'Mailboxes subscribed when the workflow is activated. May stay empty when Subscription → Keep for Mailboxes subscribes the LN sync users on a schedule.',
			},
			{
				displayName: 'Path',
				name: 'path',
				type: 'string',
				default: DEFAULT_TRIGGER_PATH,
				required: true,
				description: 'The webhook path; Subscription → Keep for Mailboxes uses the same one',
			},
			{
				displayName: 'Watch',
				name: 'watch',
				type: 'options',
				options: WATCH_OPTIONS,
				default: 'events',
			},
			{
				displayName: 'Change Types',
				name: 'changeTypes',
				type: 'multiOptions',
				options: CHANGE_TYPE_OPTIONS,
				default: ['created', 'updated', 'deleted'],
			},
		],
	};

	methods = {
		credentialTest: { microsoftGraphAppOnlyApiTest: graphCredentialTest },
	};

	webhookMethods = {
		default: {
			/** True when every listed mailbox has a live, usable subscription to this webhook. */
			async checkExists(this: IHookFunctions): Promise<boolean> {
				const graph = await graphTransport.call(this, false);
				const key = clientStateKey(secretMaterial(graph.connection));
				const url = this.getNodeWebhookUrl('default')!;
				const resource = this.getNodeParameter('watch') as SubscriptionResource;
				const live = (await listSubscriptions(graph)).filter(
					(s) => s.notificationUrl === url && verifyClientState(key, s.clientState) && Date.parse(s.expirationDateTime ?? '') - Date.now() > RENEW_MARGIN_MS,
				);
				const state = this.getWorkflowStaticData('node') as TriggerState;
				state.subscriptions = Object.fromEntries(
					live.map((s) => [s.id!, { id: s.id!, mailbox: mailboxOfResource(s.resource) ?? '', expiration: s.expirationDateTime!, resource: s.resource! }]),
				);
				return mailboxList(this.getNodeParameter('mailboxes')).every((mailbox) =>
					live.some((s) => s.resource?.toLowerCase() === `/users/${mailbox}/${resource}`),
				);
			},

			/** One subscription per listed mailbox (live ones reused), with the longest lifetime Graph allows. */
			async create(this: IHookFunctions): Promise<boolean> {
				const graph = await graphTransport.call(this, false);
				const key = clientStateKey(secretMaterial(graph.connection));
				const results = await keepSubscriptions(graph, {
					mailboxes: mailboxList(this.getNodeParameter('mailboxes')),
					notificationUrl: this.getNodeWebhookUrl('default')!,
					resource: this.getNodeParameter('watch') as SubscriptionResource,
					changeTypes: this.getNodeParameter('changeTypes') as string[],
					clientState: (mailbox) => signedClientState(key, mailbox),
					acceptsClientState: (clientState) => verifyClientState(key, clientState),
					renewWithinMs: RENEW_MARGIN_MS,
					removeOthers: false,
				});
				const failed = results.filter((r) => r.action === 'failed');
				if (failed.length > 0) {
					const message = failed.map((r) => `${r.mailbox}: ${r.reason}`).join('; ');
					throw new NodeApiError(this.getNode(), { message } as JsonObject, { message: `Could not subscribe to ${message}` });
				}
				const state = this.getWorkflowStaticData('node') as TriggerState;
				const known = (state.subscriptions ??= {});
				for (const result of results) {
					if (!result.subscriptionId) continue;
					known[result.subscriptionId] = { id: result.subscriptionId, mailbox: result.mailbox, expiration: result.expiration ?? '', resource: `/users/${result.mailbox}/${String(this.getNodeParameter('watch'))}` };
				}
				return true;
			},

			/** Deletes every subscription to this webhook; one already gone is fine. */
			async delete(this: IHookFunctions): Promise<boolean> {
				const graph = await graphTransport.call(this, false);
				const url = this.getNodeWebhookUrl('default')!;
				for (const subscription of await listSubscriptions(graph)) {
					if (subscription.notificationUrl === url) await deleteSubscription(graph, subscription.id!);
				}
				(this.getWorkflowStaticData('node') as TriggerState).subscriptions = {};
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
		if (!body || typeof body !== 'object' || !Array.isArray(body.value)) {
			response.status(400).type('text/plain').send('Expected a Microsoft Graph notification');
			return { noWebhookResponse: true };
		}
		// Graph wants an answer within 3 seconds: acknowledge first, then work.
		response.status(202).end();
		const graph = await graphTransport.call(this, false);
		const key = clientStateKey(secretMaterial(graph.connection));
		const { accepted, rejected } = checkNotifications(body.value as GraphNotification[], key);
		// A refused post writes nothing (no static data): it is only logged.
		if (rejected > 0) this.logger.warn(`Microsoft Graph Trigger (${this.getNode().name}): ${rejected} notification(s) refused, their clientState is not ours`);
		if (accepted.length === 0) return { noWebhookResponse: true };
		const state = this.getWorkflowStaticData('node') as TriggerState;
		const known = (state.subscriptions ??= {});
		// Graph never sends again what was answered 202: whatever fails from here on, every accepted
		// notification is emitted (the failure is logged, and the pull is the safety net).
		const items: IDataObject[] = [];
		for (const notification of accepted) {
			let subscription: KnownSubscription | undefined;
			try {
				subscription = await knownSubscription.call(this, graph, key, known, notification);
			} catch (error) {
				this.logger.warn(`Microsoft Graph Trigger: could not look up subscription ${String(notification.subscriptionId).slice(0, 64)}: ${(error as Error).message}`);
			}
			if (!subscription) continue;
			if (notification.lifecycleEvent) {
				items.push(...(await handleLifecycle.call(this, notification, subscription, known, graph, key)));
				continue;
			}
			if (!recent.firstTime(changeKey(notification))) continue;
			items.push(toChangeItem(notification, subscription) as unknown as IDataObject);
		}
		try {
			await renewExpiring(known, graph);
		} catch (error) {
			this.logger.warn(`Microsoft Graph Trigger: renewing subscriptions failed (the schedule renews them): ${(error as Error).message}`);
		}
		if (items.length === 0) return { noWebhookResponse: true };
		return { noWebhookResponse: true, workflowData: [this.helpers.returnJsonArray(items)] };
	}
}

/**
 * The subscription a (signed) notification belongs to, or undefined when the clientState is not
 * bound to it. One not remembered yet (made by Subscription → Keep for Mailboxes, or before a
 * restart) is read from Graph once: it must exist, post to this webhook, and watch the mailbox the
 * clientState names. Only such real subscriptions are remembered, up to a cap.
 */
async function knownSubscription(
	this: IWebhookFunctions,
	graph: GraphTransport,
	key: Buffer,
	known: Record<string, KnownSubscription>,
	notification: GraphNotification,
): Promise<KnownSubscription | undefined> {
	const id = notification.subscriptionId;
	const clientState = String(notification.clientState);
	if (!id || !SUBSCRIPTION_ID.test(id)) return refused.call(this, id, 'not a subscription id');
	const remembered = knownById(known, id);
	if (remembered) {
		if (!boundToSubscription(key, clientState, remembered)) return refused.call(this, id, `its clientState belongs to another subscription than the one of ${remembered.mailbox}`);
		remembered.clientStateTag ??= clientStateTag(key, clientState);
		return remembered;
	}
	const read = await outcomeOf(graph.get<{ id?: string; resource?: string; expirationDateTime?: string; notificationUrl?: string; clientState?: string | null }>(`/subscriptions/${encodeURIComponent(id)}`));
	if (!read.ok) {
		if (!(read.error instanceof GraphApiError) || read.error.status !== 404) throw read.error;
		// Graph removed it, so it cannot be read: the signed clientState names the mailbox to subscribe again.
		const named = mailboxOfClientState(clientState);
		if (notification.lifecycleEvent === 'subscriptionRemoved' && named) {
			return { id, mailbox: named.toLowerCase(), expiration: '', resource: `/users/${named.toLowerCase()}/${String(this.getNodeParameter('watch'))}` };
		}
		return refused.call(this, id, 'Graph has no such subscription');
	}
	const subscription = read.value;
	const mailbox = mailboxOfResource(subscription.resource);
	const named = mailboxOfClientState(clientState);
	if (!mailbox || subscription.notificationUrl !== this.getNodeWebhookUrl('default')) return refused.call(this, id, 'it is not a subscription of this webhook');
	if ((named !== undefined && named.toLowerCase() !== mailbox) || (typeof subscription.clientState === 'string' && subscription.clientState !== clientState)) {
		return refused.call(this, id, `its clientState belongs to another subscription than the one of ${mailbox}`);
	}
	const found: KnownSubscription = { id, mailbox, expiration: subscription.expirationDateTime ?? '', resource: subscription.resource!, clientStateTag: clientStateTag(key, clientState) };
	if (Object.keys(known).length < MAX_KNOWN_SUBSCRIPTIONS) known[id] = found;
	else this.logger.warn(`Microsoft Graph Trigger: more than ${MAX_KNOWN_SUBSCRIPTIONS} subscriptions; ${id} is checked with Graph on every notification`);
	return found;
}

function refused(this: IWebhookFunctions, id: string | undefined, reason: string): undefined {
	this.logger.warn(`Microsoft Graph Trigger: a notification for subscription "${String(id).slice(0, 64)}" is refused: ${reason}`);
	return undefined;
}

/**
 * A lifecycle notification: renew, or make a new subscription and ask for a resync of the mailbox.
 * A failing renewal or re-creation is logged and still asks for the resync (changes may be missed).
 */
async function handleLifecycle(
	this: IWebhookFunctions,
	notification: GraphNotification,
	subscription: KnownSubscription,
	known: Record<string, KnownSubscription>,
	graph: GraphTransport,
	key: Buffer,
): Promise<IDataObject[]> {
	const resync = (subscriptionId: string, reason: string): IDataObject[] => [{ kind: 'resync', mailbox: subscription.mailbox, subscriptionId, reason }];
	try {
		if (notification.lifecycleEvent === 'reauthorizationRequired') {
			const renewed = await renewSubscription(graph, subscription.id);
			subscription.expiration = renewed.expirationDateTime ?? subscription.expiration;
			return [];
		}
		if (notification.lifecycleEvent === 'subscriptionRemoved') {
			const clientState = signedClientState(key, subscription.mailbox);
			const created = await createSubscription(graph, {
				mailbox: subscription.mailbox,
				resource: /\/contacts$/i.test(subscription.resource) ? 'contacts' : 'events',
				changeTypes: this.getNodeParameter('changeTypes') as string[],
				notificationUrl: this.getNodeWebhookUrl('default')!,
				clientState,
			});
			delete known[subscription.id];
			known[created.id!] = { ...subscription, id: created.id!, expiration: created.expirationDateTime!, clientStateTag: clientStateTag(key, clientState) };
			// Changes may have happened while there was no subscription.
			return resync(created.id!, 'subscription removed and recreated');
		}
	} catch (error) {
		this.logger.warn(`Microsoft Graph Trigger: ${notification.lifecycleEvent} for ${subscription.mailbox} could not be handled: ${(error as Error).message}`);
		return resync(subscription.id, `${notification.lifecycleEvent}, not handled: ${(error as Error).message}`);
	}
	if (notification.lifecycleEvent === 'missed') return resync(subscription.id, 'notifications were missed');
	return [];
}

/** Renews subscriptions close to expiry whenever notifications arrive (the schedule renews the rest). */
async function renewExpiring(known: Record<string, KnownSubscription>, graph: GraphTransport): Promise<void> {
	for (const subscription of Object.values(known)) {
		if (Date.parse(subscription.expiration) - Date.now() > RENEW_MARGIN_MS) continue;
		const renewal = await outcomeOf(renewSubscription(graph, subscription.id));
		if (renewal.ok) {
			subscription.expiration = renewal.value.expirationDateTime ?? subscription.expiration;
		} else if (renewal.error instanceof GraphApiError && renewal.error.status === 404) {
			delete known[subscription.id];
		} else {
			throw renewal.error;
		}
	}
}
