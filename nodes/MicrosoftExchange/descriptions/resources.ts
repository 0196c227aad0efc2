import type { INodeProperties } from 'n8n-workflow';

import * as syncToFolder from '../actions/contact/syncToFolder.operation';
import * as get from '../actions/event/get.operation';
import * as getChanges from '../actions/event/getChanges.operation';
import * as linkToLnActivity from '../actions/event/linkToLnActivity.operation';
import * as send from '../actions/mail/send.operation';
import * as mailboxStateLoad from '../actions/mailboxState/load.operation';
import * as syncFromLnActivity from '../actions/event/syncFromLnActivity.operation';
import * as subscriptionCreate from '../actions/subscription/create.operation';
import * as subscriptionDelete from '../actions/subscription/delete.operation';
import * as subscriptionGetMany from '../actions/subscription/getMany.operation';
import * as subscriptionKeep from '../actions/subscription/keep.operation';
import * as subscriptionRenew from '../actions/subscription/renew.operation';

export const properties: INodeProperties[] = [
	{
		displayName: 'Resource',
		name: 'resource',
		type: 'options',
		noDataExpression: true,
		options: [
			{ name: 'Contact', value: 'contact' },
			{ name: 'Event', value: 'event' },
			{ name: 'Mail', value: 'mail' },
			{ name: 'Mailbox State', value: 'mailboxState' },
			{ name: 'Subscription', value: 'subscription' },
		],
		default: 'event',
	},
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['contact'] } },
		options: [
			{
				name: 'Sync to Folder',
				value: 'syncToFolder',
				description: "Make the mailbox's LN contact folder hold exactly the input contacts",
				action: 'Sync contacts to a folder',
			},
		],
		default: 'syncToFolder',
	},
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['event'] } },
		options: [
			{ name: 'Get', value: 'get', description: 'Get one event with its link to LN', action: 'Get an event' },
			{
				name: 'Get Changes',
				value: 'getChanges',
				description: 'Get the events of a mailbox that changed since the last call',
				action: 'Get changed events',
			},
			{
				name: 'Link to LN Activity',
				value: 'linkToLnActivity',
				description: 'Store the LN key and content hash on an event',
				action: 'Link an event to an LN activity',
			},
			{
				name: 'Sync From LN Activity',
				value: 'syncFromLnActivity',
				description: 'Create, update or cancel the Exchange events of LN activities',
				action: 'Sync events from LN activities',
			},
		],
		default: 'syncFromLnActivity',
	},
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['mail'] } },
		options: [{ name: 'Send', value: 'send', description: 'Send a mail from a mailbox of the tenant', action: 'Send a mail' }],
		default: 'send',
	},
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['mailboxState'] } },
		options: [
			{
				name: 'Load',
				value: 'load',
				description: 'Start the sync of the mailboxes this execution holds the lease of, with their cursors and notes of our writes',
				action: 'Load the state of leased mailboxes',
			},
			{
				name: 'Save',
				value: 'save',
				description: 'One item per loaded mailbox with its new state, to write back as its lease is released',
				action: 'Save the state of leased mailboxes',
			},
		],
		default: 'load',
	},
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['subscription'] } },
		options: [
			{ name: 'Create', value: 'create', description: 'Subscribe to changes of mailboxes', action: 'Create subscriptions' },
			{ name: 'Delete', value: 'delete', description: 'Delete a subscription', action: 'Delete a subscription' },
			{ name: 'Get Many', value: 'getMany', description: "List this app's subscriptions", action: 'Get many subscriptions' },
			{
				name: 'Keep for Mailboxes',
				value: 'keep',
				description: 'One live subscription per mailbox to the Microsoft Graph Trigger: create, renew, remove',
				action: 'Keep subscriptions for mailboxes',
			},
			{ name: 'Renew', value: 'renew', description: 'Extend subscriptions before they expire', action: 'Renew subscriptions' },
		],
		default: 'keep',
	},
	...syncToFolder.description,
	...syncFromLnActivity.description,
	...getChanges.description,
	...linkToLnActivity.description,
	...get.description,
	...send.description,
	...mailboxStateLoad.description,
	...subscriptionCreate.description,
	...subscriptionDelete.description,
	...subscriptionGetMany.description,
	...subscriptionKeep.description,
	...subscriptionRenew.description,
];
