import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { MAX_SUBSCRIPTION_MINUTES } from '../../../../lib/graph/subscriptions';
import { mailboxes as mailboxList, show } from '../../descriptions/common';
import { CHANGE_TYPE_OPTIONS, WATCH_OPTIONS } from '../../../shared/subscription-properties';

/** Properties more than one subscription operation has. */
export const mailboxes = (operations: string[]): INodeProperties =>
	mailboxList('subscription', operations, 'One subscription per mailbox (a comma-separated list, or a list from an expression)');

export const watch = (operations: string[]): INodeProperties => ({
	displayName: 'Watch',
	name: 'watch',
	type: 'options',
	options: WATCH_OPTIONS,
	default: 'events',
	displayOptions: show('subscription', operations),
});

export const changeTypes = (operations: string[]): INodeProperties => ({
	displayName: 'Change Types',
	name: 'changeTypes',
	type: 'multiOptions',
	options: CHANGE_TYPE_OPTIONS,
	default: ['created', 'updated', 'deleted'],
	displayOptions: show('subscription', operations),
});

export const minutes = (operations: string[]): INodeProperties => ({
	displayName: 'Minutes',
	name: 'minutes',
	type: 'number',
	typeOptions: { minValue: 45, maxValue: MAX_SUBSCRIPTION_MINUTES },
	default: MAX_SUBSCRIPTION_MINUTES,
	description: 'New lifetime; Graph allows at most 10,080 minutes for Outlook resources',
	displayOptions: show('subscription', operations),
});

export const urlContains = (operations: string[]): INodeProperties => ({
	displayName: 'Notification URL Contains',
	name: 'urlContains',
	type: 'string',
	default: '',
	description: 'Only subscriptions whose notification URL contains this text (e.g. the push workflow\'s webhook path); empty renews all of this app',
	displayOptions: show('subscription', operations),
});

/** The notification URL a list of subscriptions is filtered by (empty: all of this app). */
export function urlFilterOf(this: IExecuteFunctions, i: number): (subscription: { notificationUrl?: string | null }) => boolean {
	const contains = String(this.getNodeParameter('urlContains', i, ''));
	return (subscription) => !contains || String(subscription.notificationUrl ?? '').includes(contains);
}

/** A subscription without its clientState: that secret never goes into node output. */
export function withoutSecret(subscription: object): IDataObject {
	const copy = { ...(subscription as IDataObject) };
	delete copy.clientState;
	return copy;
}
