import { randomBytes } from 'node:crypto';

import type { Subscription } from '@microsoft/microsoft-graph-types';

import { GraphApiError, type GraphTransport } from './transport';

/** Outlook resources allow 10,080 minutes; a minute less keeps clear of clock skew. */
export const MAX_SUBSCRIPTION_MINUTES = 10_079;

export type SubscriptionResource = 'events' | 'contacts';

export interface CreateSubscriptionRequest {
	mailbox: string;
	resource: SubscriptionResource;
	changeTypes: string[];
	notificationUrl: string;
	lifecycleNotificationUrl?: string;
	clientState?: string;
	minutes?: number;
	now?: number;
}

export function resourcePath(mailbox: string, resource: SubscriptionResource): string {
	return `/users/${mailbox}/${resource}`;
}

export function expirationIn(minutes: number, now = Date.now()): string {
	return new Date(now + Math.min(minutes, MAX_SUBSCRIPTION_MINUTES) * 60_000).toISOString();
}

export async function createSubscription(graph: GraphTransport, request: CreateSubscriptionRequest): Promise<Subscription> {
	if (!/^https:\/\//i.test(request.notificationUrl) && !/^http:\/\/(127\.0\.0\.1|localhost)[:/]/i.test(request.notificationUrl)) {
		throw new Error(`Microsoft Graph only delivers notifications to https URLs; the webhook URL is ${request.notificationUrl} (set WEBHOOK_URL of n8n to its public https address)`);
	}
	return graph.post<Subscription>('/subscriptions', {
		changeType: request.changeTypes.join(','),
		notificationUrl: request.notificationUrl,
		lifecycleNotificationUrl: request.lifecycleNotificationUrl ?? request.notificationUrl,
		resource: resourcePath(request.mailbox, request.resource),
		expirationDateTime: expirationIn(request.minutes ?? MAX_SUBSCRIPTION_MINUTES, request.now),
		clientState: request.clientState ?? randomBytes(32).toString('base64url'),
	});
}

export async function renewSubscription(graph: GraphTransport, id: string, minutes = MAX_SUBSCRIPTION_MINUTES, now = Date.now()): Promise<Subscription> {
	return graph.patch<Subscription>(`/subscriptions/${encodeURIComponent(id)}`, { expirationDateTime: expirationIn(minutes, now) });
}

/** Deletes a subscription; one that is already gone is fine. */
export async function deleteSubscription(graph: GraphTransport, id: string): Promise<boolean> {
	try {
		await graph.delete(`/subscriptions/${encodeURIComponent(id)}`);
		return true;
	} catch (error) {
		if (error instanceof GraphApiError && error.status === 404) return false;
		throw error;
	}
}

export async function listSubscriptions(graph: GraphTransport): Promise<Subscription[]> {
	return graph.getAll<Subscription>('/subscriptions');
}

/** The mailbox a subscription resource addresses (`/users/{mailbox}/events`). */
export function mailboxOfResource(resource: string | null | undefined): string | undefined {
	const match = /^\/?users\/([^/]+)\//i.exec(resource ?? '');
	return match ? decodeURIComponent(match[1]).toLowerCase() : undefined;
}

export type KeepAction = 'created' | 'renewed' | 'kept' | 'deleted' | 'failed';

export interface KeepResult {
	mailbox: string;
	action: KeepAction;
	subscriptionId?: string;
	expiration?: string;
	reason?: string;
}

export interface KeepRequest {
	mailboxes: string[];
	notificationUrl: string;
	resource: SubscriptionResource;
	changeTypes: string[];
	/** Makes a clientState for a new subscription of a mailbox (signed, see notifications.ts). */
	clientState: (mailbox: string) => string;
	/** Tells whether an existing subscription's clientState is one we can check. */
	acceptsClientState: (clientState: unknown) => boolean;
	/** Renew what expires within this many milliseconds. */
	renewWithinMs: number;
	/** Delete our subscriptions (same notification URL) of mailboxes not in the list. */
	removeOthers: boolean;
	now?: number;
}

/**
 * One live subscription per mailbox to this notification URL: missing ones are created, those near
 * expiry renewed, unusable ones (unknown clientState, wrong resource) replaced, and — on request —
 * those of mailboxes no longer listed deleted. One failing mailbox does not stop the others.
 */
export async function keepSubscriptions(graph: GraphTransport, request: KeepRequest): Promise<KeepResult[]> {
	const now = request.now ?? Date.now();
	const wanted = new Set(request.mailboxes.map((m) => m.toLowerCase()));
	const ours = (await listSubscriptions(graph)).filter((s) => s.notificationUrl === request.notificationUrl);
	const results: KeepResult[] = [];
	const byMailbox = new Map<string, Subscription[]>();
	for (const subscription of ours) {
		const mailbox = mailboxOfResource(subscription.resource) ?? '';
		byMailbox.set(mailbox, [...(byMailbox.get(mailbox) ?? []), subscription]);
	}
	for (const [mailbox, subscriptions] of byMailbox) {
		if (wanted.has(mailbox) || !request.removeOthers) continue;
		for (const subscription of subscriptions) {
			await deleteSubscription(graph, subscription.id!);
			results.push({ mailbox, action: 'deleted', subscriptionId: subscription.id!, reason: 'no longer a sync user' });
		}
	}
	for (const mailbox of wanted) {
		try {
			const path = resourcePath(mailbox, request.resource).toLowerCase();
			const existing = (byMailbox.get(mailbox) ?? []).filter((s) => s.resource?.toLowerCase() === path);
			const usable = existing.find((s) => request.acceptsClientState(s.clientState));
			for (const stale of existing.filter((s) => s !== usable)) await deleteSubscription(graph, stale.id!);
			if (usable) {
				if (Date.parse(usable.expirationDateTime ?? '') - now > request.renewWithinMs) {
					results.push({ mailbox, action: 'kept', subscriptionId: usable.id!, expiration: usable.expirationDateTime ?? undefined });
					continue;
				}
				try {
					const renewed = await renewSubscription(graph, usable.id!, MAX_SUBSCRIPTION_MINUTES, now);
					results.push({ mailbox, action: 'renewed', subscriptionId: renewed.id ?? usable.id!, expiration: renewed.expirationDateTime ?? undefined });
					continue;
				} catch (error) {
					if (!(error instanceof GraphApiError) || error.status !== 404) throw error;
				}
			}
			const created = await createSubscription(graph, {
				mailbox,
				resource: request.resource,
				changeTypes: request.changeTypes,
				notificationUrl: request.notificationUrl,
				clientState: request.clientState(mailbox),
				now,
			});
			results.push({ mailbox, action: 'created', subscriptionId: created.id!, expiration: created.expirationDateTime ?? undefined });
		} catch (error) {
			results.push({ mailbox, action: 'failed', reason: (error as Error).message });
		}
	}
	return results;
}
