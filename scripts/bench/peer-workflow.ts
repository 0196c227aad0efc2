/**
 * The PEER of the benchmark: the same job built the way an n8n user would build it today with stock
 * nodes — n8n's own Microsoft Outlook node for Exchange (contacts and events, one lookup and one write
 * per item: look the item up, then create or update it) and our Infor LN node to read LN and to
 * create or update the LN appointments. No Code node, no batching, no change detection.
 *
 *  - main workflow: sync users and contacts from LN, then one sub-workflow run per user (Execute
 *    Workflow, one item each);
 *  - one per-user workflow per mailbox: it differs from the others only in its Outlook credential,
 *    because the stock node reaches another user's mailbox through a credential with *Use Shared
 *    Mailbox* and that user's address, and a node's credential cannot be an expression.
 *
 * The per-user workflow does three things, each as lookup → merge → IF → create | update:
 *  1. every active LN contact marked Synchronize → a contact in the user's Contacts (the key in a
 *     category);
 *  2. every LN activity the user organizes or is invited to, and that did not come from Exchange (no
 *     reference) → an event in the user's calendar (the key in a category);
 *  3. every event of the user's calendar from now on that did not come from LN → an LN appointment
 *     (Infor LN → Appointment → Create with "Update If It Exists", keyed by the iCalUId).
 * It does less than the product (no invitations through the organizer, no attendee flags, no
 * cancellations, no conflict policy, no occurrences), which only flatters the peer's figures.
 */
import type { INode, IConnections, IDataObject } from 'n8n-workflow';

import type { WorkflowJson } from '../../test/harness/workflow-runner';
import { outlookCredentialId, PACKAGE } from './runtime';

export const PEER_MAIN_ID = 'benchPeerMain';
export const PEER_START = 'Run now';
/** The peer's write nodes (their output items are counted). */
export const PEER_WRITE_NODES = ['Create contact', 'Update contact', 'Create event', 'Update event', 'LN: create or update appointment'];
const perUserId = (user: string) => `benchPeerUser-${user}`;

const LN_CREDENTIAL = { inforLnIonApi: { id: 'bench-ln', name: 'Infor LN (ION API)' } };

let counter = 0;
function node(name: string, type: string, typeVersion: number, parameters: IDataObject, extra: Partial<INode> = {}): INode {
	counter++;
	return {
		id: `bench-peer-${counter}`,
		name,
		type,
		typeVersion,
		position: [counter * 220, 0],
		parameters,
		...extra,
	} as INode;
}

function set(name: string, fields: Array<[string, string, 'string' | 'number' | 'object' | 'array' | 'boolean']>, includeOtherFields: boolean): INode {
	return node(name, 'n8n-nodes-base.set', 3.4, {
		mode: 'manual',
		assignments: {
			assignments: fields.map(([field, value, type], i) => ({ id: `${name}-${i}`, name: field, value, type })),
		},
		includeOtherFields,
		options: {},
	});
}

function condition(name: string, type: 'if' | 'filter', expression: string): INode {
	return node(name, `n8n-nodes-base.${type}`, 2.2, {
		conditions: {
			options: { caseSensitive: true, leftValue: '', typeValidation: 'loose', version: 2 },
			conditions: [{ id: `${name}-0`, leftValue: expression, rightValue: '', operator: { type: 'boolean', operation: 'true', singleValue: true } }],
			combinator: 'and',
		},
		looseTypeValidation: true,
		options: {},
	});
}

function merge(name: string): INode {
	return node(name, 'n8n-nodes-base.merge', 3.2, {
		mode: 'combine',
		combineBy: 'combineByFields',
		advanced: false,
		fieldsToMatchString: 'key',
		joinMode: 'enrichInput1',
		options: {},
	});
}

function outlook(name: string, user: string, parameters: IDataObject): INode {
	return node(name, 'n8n-nodes-base.microsoftOutlook', 2, parameters, {
		credentials: { microsoftOutlookOAuth2Api: { id: outlookCredentialId(user), name: `Outlook ${user}` } },
	});
}

function ln(name: string, parameters: IDataObject, extra: Partial<INode> = {}): INode {
	return node(name, `${PACKAGE}.inforLn`, 1, parameters, { credentials: LN_CREDENTIAL, ...extra });
}

function connect(pairs: Array<[from: string, to: string, input?: number, output?: number]>): IConnections {
	const connections: IConnections = {};
	for (const [from, to, input = 0, output = 0] of pairs) {
		const outputs = (connections[from] ??= { main: [] }).main;
		while (outputs.length <= output) outputs.push([]);
		outputs[output]!.push({ node: to, type: 'main' as never, index: input });
	}
	return connections;
}

/** The main workflow: LN sync users (the first `sample` of them) and contacts, then one run per user. */
export function peerMainWorkflow(options: { horizonDays: number; sample: number }): WorkflowJson & { id: string } {
	const nodes: INode[] = [
		node(PEER_START, 'n8n-nodes-base.manualTrigger', 1, {}),
		set('Settings', [['horizonDays', String(options.horizonDays), 'number'], ['sampleUsers', String(options.sample), 'number']], false),
		ln('LN sync users', { resource: 'syncUser', operation: 'getMany', source: 'api', output: 'users', attachAll: true }),
		node('Sample', 'n8n-nodes-base.limit', 1, { maxItems: `={{ $('Settings').first().json.sampleUsers }}` }),
		ln('LN contacts', { resource: 'contact', operation: 'getManyForSync' }, { executeOnce: true, alwaysOutputData: true }),
		node('All contacts', 'n8n-nodes-base.aggregate', 1, { aggregate: 'aggregateAllItemData', destinationFieldName: 'contacts', options: {} }),
		set('Users with contacts', [
			['users', `={{ $('Sample').all().map(item => item.json) }}`, 'array'],
			['horizonDays', `={{ $('Settings').first().json.horizonDays }}`, 'number'],
		], true),
		node('One item per user', 'n8n-nodes-base.splitOut', 1, { fieldToSplitOut: 'users', include: 'allOtherFields', options: {} }),
		node(
			'Run for the user',
			'n8n-nodes-base.executeWorkflow',
			1.3,
			{
				source: 'database',
				workflowId: { __rl: true, mode: 'id', value: `={{ 'benchPeerUser-' + $json.users.user }}` },
				mode: 'each',
				options: { waitForSubWorkflow: true },
			},
			{ onError: 'continueRegularOutput' },
		),
	];
	return {
		id: PEER_MAIN_ID,
		name: 'Bench peer: LN ⇄ Exchange with stock nodes',
		nodes,
		connections: connect([
			[PEER_START, 'Settings'],
			['Settings', 'LN sync users'],
			['LN sync users', 'Sample'],
			['Sample', 'LN contacts'],
			['LN contacts', 'All contacts'],
			['All contacts', 'Users with contacts'],
			['Users with contacts', 'One item per user'],
			['One item per user', 'Run for the user'],
		]),
		settings: { executionOrder: 'v1' },
	};
}

const START = 'Per-user start';
const me = `$('${START}').first().json.users`;
const FOUND_KEY = `={{ ($json.categories || []).find(c => c.startsWith('LN ')) ?? '' }}`;
const categoryFilter = `={{ "categories/any(c:c eq '" + $json.key + "')" }}`;
const SHOW_AS_TO_GRAPH = `({ Free: 'free', Tentative: 'tentative', Busy: 'busy', OutOfOffice: 'oof', WorkingElsewhere: 'workingElsewhere' })`;
const SHOW_AS_TO_LN = `({ free: 'Free', tentative: 'Tentative', busy: 'Busy', oof: 'OutOfOffice', workingElsewhere: 'WorkingElsewhere' })`;
const CALENDAR = { __rl: true, mode: 'id', value: 'calendar' };

function contactFields(withNames: boolean): IDataObject {
	return {
		...(withNames ? { givenName: '={{ $json.firstName }}', surname: '={{ $json.lastName }}' } : {}),
		displayName: '={{ $json.fullName }}',
		middleName: '={{ $json.middleName }}',
		title: '={{ $json.title }}',
		jobTitle: '={{ $json.jobTitle }}',
		department: '={{ $json.department }}',
		companyName: '={{ $json.businessPartnerName }}',
		businessPhones: '={{ $json.officePhone }}',
		mobilePhone: '={{ $json.mobilePhone }}',
		homePhones: '={{ $json.homePhone }}',
		businessHomePage: '={{ $json.website }}',
		personalNotes: '={{ $json.text }}',
		emailAddresses: '={{ $json.email ? { values: [{ address: $json.email, name: $json.fullName }] } : {} }}',
		categories: '={{ $json.key }}',
	};
}

function eventFields(): IDataObject {
	return {
		// The stock node sends an empty description as a bare string, which Graph refuses.
		body: `={{ $json.text || ' ' }}`,
		isAllDay: '={{ $json.allDay }}',
		showAs: `={{ ${SHOW_AS_TO_GRAPH}[$json.showTimeAs] ?? 'busy' }}`,
		sensitivity: `={{ String($json.sensitivity || 'Normal').toLowerCase() }}`,
		timeZone: 'UTC',
	};
}

/** The per-user workflow for one mailbox. */
export function peerUserWorkflow(user: string): WorkflowJson & { id: string } {
	const nodes: INode[] = [
		node(START, 'n8n-nodes-base.executeWorkflowTrigger', 1.1, { inputSource: 'passthrough' }),

		// 1. LN contacts → the user's Contacts
		node('Each LN contact', 'n8n-nodes-base.splitOut', 1, { fieldToSplitOut: 'contacts', include: 'noOtherFields', options: {} }),
		condition('Active?', 'filter', '={{ $json.active }}'),
		set('Contact key', [['key', `={{ 'LN ' + $json.company + ' ' + $json.id }}`, 'string']], true),
		outlook('Find contact', user, { resource: 'contact', operation: 'getAll', returnAll: false, limit: 1, output: 'raw', filters: { custom: categoryFilter } }),
		set('Found contact', [['key', FOUND_KEY, 'string'], ['exchangeId', '={{ $json.id }}', 'string']], false),
		merge('Contact with its Exchange id'),
		condition('Contact exists?', 'if', '={{ !!$json.exchangeId }}'),
		outlook('Update contact', user, {
			resource: 'contact',
			operation: 'update',
			contactId: { __rl: true, mode: 'id', value: '={{ $json.exchangeId }}' },
			additionalFields: contactFields(true),
		}),
		outlook('Create contact', user, {
			resource: 'contact',
			operation: 'create',
			givenName: '={{ $json.firstName }}',
			surname: '={{ $json.lastName }}',
			additionalFields: contactFields(false),
		}),

		// 2. LN activities → the user's calendar
		ln('LN activities of user', { resource: 'activity', operation: 'getManyForSync', employee: `={{ ${me}.employee }}`, horizonDays: `={{ $('${START}').first().json.horizonDays }}` }),
		condition(
			'For this calendar?',
			'filter',
			`={{ $json.synchronize && !$json.reference && $json.status !== 'Cancelled' && $json.sensitivity !== 'Private' && new Date($json.end) > new Date() && $json.attendees.some(a => a.type === 'Employee' && a.code === ${me}.employee && (a.role === 'MeetingOrganizer' || a.invite)) }}`,
		),
		set('Activity key', [['key', `={{ 'LN ' + $json.company + ' ' + $json.id }}`, 'string']], true),
		outlook('Find event', user, {
			resource: 'event',
			operation: 'getAll',
			fromAllCalendars: false,
			calendarId: CALENDAR,
			returnAll: false,
			limit: 1,
			output: 'raw',
			filters: { custom: categoryFilter },
		}),
		set('Found event', [['key', FOUND_KEY, 'string'], ['exchangeId', '={{ $json.id }}', 'string']], false),
		merge('Activity with its Exchange id'),
		condition('Event exists?', 'if', '={{ !!$json.exchangeId }}'),
		outlook('Update event', user, {
			resource: 'event',
			operation: 'update',
			calendarId: CALENDAR,
			eventId: { __rl: true, mode: 'id', value: '={{ $json.exchangeId }}' },
			additionalFields: { subject: '={{ $json.subject }}', start: '={{ $json.start }}', end: '={{ $json.end }}', ...eventFields() },
		}),
		outlook('Create event', user, {
			resource: 'event',
			operation: 'create',
			calendarId: CALENDAR,
			subject: '={{ $json.subject }}',
			startDateTime: '={{ $json.start }}',
			endDateTime: '={{ $json.end }}',
			additionalFields: { categories: '={{ [$json.key] }}', ...eventFields() },
		}),

		// 3. Exchange events → LN appointments
		outlook('Exchange events', user, {
			resource: 'event',
			operation: 'getAll',
			fromAllCalendars: false,
			calendarId: CALENDAR,
			returnAll: true,
			output: 'raw',
			filters: { custom: `={{ "end/dateTime ge '" + $now.toUTC().toFormat("yyyy-MM-dd'T'HH:mm:ss") + "'" }}` },
		}),
		condition(
			'Made in Exchange?',
			'filter',
			`={{ !($json.categories || []).some(c => c.startsWith('LN ')) && $json.sensitivity !== 'private' && !$json.isCancelled }}`,
		),
		set('Appointment', [
			[
				'appointment',
				`={{ {
	subject: $json.subject,
	start: $json.start.dateTime.slice(0, 19) + 'Z',
	end: $json.end.dateTime.slice(0, 19) + 'Z',
	allDay: $json.isAllDay,
	location: $json.location?.displayName ?? '',
	text: $json.bodyPreview ?? '',
	showTimeAs: ${SHOW_AS_TO_LN}[$json.showAs] ?? 'Busy',
	reminder: !!$json.isReminderOn,
	reminderMinutes: $json.isReminderOn ? $json.reminderMinutesBeforeStart : 0,
	sensitivity: 'Normal',
	reference: $json.iCalUId,
	attendees: [
		{ email: $json.organizer.emailAddress.address, name: $json.organizer.emailAddress.name, role: 'MeetingOrganizer', invite: false },
		...($json.attendees || []).map(a => ({ email: a.emailAddress.address, name: a.emailAddress.name, role: a.type === 'optional' ? 'Optional' : 'Required', invite: true })),
	],
} }}`,
				'object',
			],
		], false),
		ln(
			'LN: create or update appointment',
			{
				resource: 'appointment',
				operation: 'create',
				appointment: '={{ $json.appointment }}',
				mailbox: `={{ ${me}.email }}`,
				syncUsers: `={{ ${me}.syncUsers }}`,
				updateIfExists: true,
				dryRun: false,
			},
			{ onError: 'continueRegularOutput' },
		),
	];
	return {
		id: perUserId(user),
		name: `Bench peer: calendar and contacts of ${user}`,
		nodes,
		connections: connect([
			[START, 'Each LN contact'],
			[START, 'LN activities of user'],
			[START, 'Exchange events'],
			['Each LN contact', 'Active?'],
			['Active?', 'Contact key'],
			['Contact key', 'Find contact'],
			['Contact key', 'Contact with its Exchange id', 0],
			['Find contact', 'Found contact'],
			['Found contact', 'Contact with its Exchange id', 1],
			['Contact with its Exchange id', 'Contact exists?'],
			['Contact exists?', 'Update contact', 0, 0],
			['Contact exists?', 'Create contact', 0, 1],
			['LN activities of user', 'For this calendar?'],
			['For this calendar?', 'Activity key'],
			['Activity key', 'Find event'],
			['Activity key', 'Activity with its Exchange id', 0],
			['Find event', 'Found event'],
			['Found event', 'Activity with its Exchange id', 1],
			['Activity with its Exchange id', 'Event exists?'],
			['Event exists?', 'Update event', 0, 0],
			['Event exists?', 'Create event', 0, 1],
			['Exchange events', 'Made in Exchange?'],
			['Made in Exchange?', 'Appointment'],
			['Appointment', 'LN: create or update appointment'],
		]),
		settings: { executionOrder: 'v1' },
	};
}

/** The main workflow and the per-user workflows of the given users, by id. */
export function peerWorkflows(users: string[], options: { horizonDays: number; sample: number }): { main: WorkflowJson & { id: string }; all: Record<string, WorkflowJson> } {
	const main = peerMainWorkflow(options);
	const all: Record<string, WorkflowJson> = { [main.id]: main };
	for (const user of users) {
		const workflow = peerUserWorkflow(user);
		all[workflow.id] = workflow;
	}
	return { main, all };
}
