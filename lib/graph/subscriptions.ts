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

/** A random clientState (≤ 128 characters, URL-safe). */
export function newClientState(): string {
	return randomBytes(32).toString('base64url');
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
		clientState: request.clientState ?? newClientState(),
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
