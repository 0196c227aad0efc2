import type { INodeProperties } from 'n8n-workflow';

export function show(resource: string, operations: string[]) {
	return { show: { resource: [resource], operation: operations } };
}

/** Several mailboxes: a comma-separated list, or a list from an expression. */
export const mailboxes = (resource: string, operations: string[], description: string): INodeProperties => ({
	displayName: 'Mailboxes',
	name: 'mailboxes',
	type: 'string',
	required: true,
	default: '',
	placeholder: 'name@email.com, other@email.com',
	description,
	displayOptions: show(resource, operations),
});

export const dryRun = (resource: string, operations: string[]): INodeProperties => ({
	displayName: 'Dry Run',
	name: 'dryRun',
	type: 'boolean',
	default: false,
	description: 'Whether to output the planned changes instead of writing to Exchange',
	displayOptions: show(resource, operations),
});

export const mailbox = (resource: string, operations: string[], description = 'The mailbox (e-mail address) of the sync user'): INodeProperties => ({
	displayName: 'Mailbox',
	name: 'mailbox',
	type: 'resourceLocator',
	required: true,
	default: { mode: 'email', value: '' },
	description,
	displayOptions: show(resource, operations),
	modes: [
		{
			displayName: 'From List',
			name: 'list',
			type: 'list',
			typeOptions: { searchListMethod: 'searchMailboxes', searchable: true },
		},
		{
			displayName: 'By E-Mail',
			name: 'email',
			type: 'string',
			placeholder: 'name@email.com',
			validation: [{ type: 'regex', properties: { regex: '^\\S+@\\S+$|^=', errorMessage: 'Not an e-mail address' } }],
		},
	],
});

/** Reads a mailbox parameter (resource locator or plain text) as a lower-cased address. */
export function mailboxValue(value: unknown): string {
	const raw = typeof value === 'object' && value !== null && 'value' in value ? (value as { value: unknown }).value : value;
	return String(raw ?? '').trim().toLowerCase();
}

export const syncUsers = (resource: string, operations: string[]): INodeProperties => ({
	displayName: 'Sync Users (JSON)',
	name: 'syncUsers',
	type: 'json',
	default: '[]',
	description: 'The LN sync users (Infor LN → Sync User → Get Many): who counts as a sync user for invitations and ownership',
	displayOptions: show(resource, operations),
});

export const company = (resource: string, operations: string[]): INodeProperties => ({
	displayName: 'LN Company',
	name: 'company',
	type: 'string',
	required: true,
	default: '={{ $json.company }}',
	description: 'The LN company whose records are linked (part of the link key on each event)',
	displayOptions: show(resource, operations),
});

export const horizon = (resource: string, operations: string[]): INodeProperties => ({
	displayName: 'Horizon (Days)',
	name: 'horizonDays',
	type: 'number',
	typeOptions: { minValue: 1, maxValue: 1825 },
	default: 365,
	description: 'Events are synchronized from now to now + this many days',
	displayOptions: show(resource, operations),
});

export const DEFAULT_MAILBOXES_AT_A_TIME = 16;

/** How many mailboxes one node works at once; Graph's limit per mailbox holds whatever the value. */
export const mailboxesAtATimeOption: INodeProperties = {
	displayName: 'Mailboxes at a Time',
	name: 'mailboxesAtATime',
	type: 'number',
	typeOptions: { minValue: 1, maxValue: 64 },
	default: DEFAULT_MAILBOXES_AT_A_TIME,
	description: 'How many mailboxes are worked at once when the input names several; each mailbox still gets at most 4 requests at a time, as Exchange Online allows',
};

export const mailboxesAtATime = (resource: string, operations: string[]): INodeProperties => ({
	...mailboxesAtATimeOption,
	displayOptions: show(resource, operations),
});
