import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { checkedLnCompany, LN_CODE } from '../../../../lib/ln/contract';
import { linkEvents, type LinkRequest } from '../../../../lib/graph/links';
import { ledgerFor } from '../../../../lib/sync/report';
import { dryRun, mailbox, mailboxesAtATime, mailboxValue, show } from '../../descriptions/common';
import { mailboxesAtATimeOf, mapLimit, output, syncStateOf, toNodeError } from '../../helpers/execute';
import { graphTransport, linkKeyOf } from '../../../shared/graph-transport';

const operations = ['linkToLnActivity'];
const where = show('event', operations);

const text = (name: string, displayName: string, value: string, description?: string, required = false): INodeProperties => ({
	displayName,
	name,
	type: 'string',
	required,
	default: value,
	description,
	displayOptions: where,
});

export const description: INodeProperties[] = [
	{
		displayName: 'Action',
		name: 'linkAction',
		type: 'options',
		options: [
			{ name: 'Link', value: 'link', description: 'Store the LN key and the content hash' },
			{ name: 'Unlink Occurrence', value: 'unlink', description: 'Forget the link of a series occurrence that is gone (after LN cancelled its appointment)' },
		],
		default: 'link',
		displayOptions: where,
	},
	mailbox('event', operations),
	text('eventId', 'Event ID', '={{ $json.eventId }}', undefined, true),
	text('seriesMasterId', 'Series Master ID', '={{ $json.seriesMasterId ?? "" }}', 'For an occurrence: the link is kept on its series'),
	text('iCalUId', 'iCalUId', '={{ $json.iCalUId ?? "" }}'),
	text('company', 'LN Company', '={{ $json.company }}', undefined, true),
	text('activity', 'LN Activity', '={{ $json.activity }}', undefined, true),
	{
		...text('hash', 'Content Hash', '={{ $json.hash }}', 'The hash of the content both sides now hold (from Get Changes or Sync From LN Activity)', true),
		displayOptions: { show: { resource: ['event'], operation: operations, linkAction: ['link'] } },
	},
	{
		displayName: 'Origin',
		name: 'origin',
		type: 'options',
		options: [
			{ name: 'Exchange', value: 'exchange' },
			{ name: 'LN', value: 'ln' },
		],
		default: 'exchange',
		description: 'Where the event came from (decides conflicts under "origin wins")',
		displayOptions: where,
	},
	mailboxesAtATime('event', operations),
	dryRun('event', operations),
];

/** Stores the LN key and the content hash on an Exchange event, so the next run updates instead of creating. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const items = this.getInputData();
	const ledger = ledgerFor(this.getExecutionId());
	const byMailbox = new Map<string, Array<{ index: number; link: LinkRequest }>>();
	const out: INodeExecutionData[] = [];
	for (let i = 0; i < items.length; i++) {
		const mailboxAddress = mailboxValue(this.getNodeParameter('mailbox', i));
		try {
			const value = (name: string) => String(this.getNodeParameter(name, i, '') ?? '').trim();
			const link: LinkRequest = {
				eventId: value('eventId'),
				seriesMasterId: value('seriesMasterId') || undefined,
				iCalUId: value('iCalUId') || undefined,
				company: value('company'),
				activity: value('activity'),
				state: { origin: value('origin') === 'ln' ? 'ln' : 'exchange', hash: value('hash'), linkedAt: Math.floor(Date.now() / 1000) },
				remove: this.getNodeParameter('linkAction', i, 'link') === 'unlink',
			};
			for (const [field, label] of [['eventId', 'Event ID'], ['activity', 'LN Activity']] as const) {
				if (!link[field]) throw new Error(`field ${label} is empty`);
			}
			// The link is signed over the item's iCalUId: without it, it could not be checked later.
			if (!link.remove && !link.iCalUId) throw new Error(`field iCalUId is empty (event ${link.eventId})`);
			if (!LN_CODE.test(link.activity)) throw new Error(`field LN Activity "${link.activity.slice(0, 60)}" is not an LN activity code (letters, digits, . _ -; at most 30)`);
			checkedLnCompany(link.company);
			if (!link.remove && !/^[0-9a-f]{8,64}(\.[0-9a-f]{36})?$/.test(link.state.hash)) throw new Error(`field Content Hash "${link.state.hash}" is not a hash from this package`);
			if (!mailboxAddress) throw new Error('field Mailbox is empty');
			byMailbox.set(mailboxAddress, [...(byMailbox.get(mailboxAddress) ?? []), { index: i, link }]);
		} catch (error) {
			const nodeError = toNodeError(this, error, i, `Link of item ${i}`);
			if (!this.continueOnFail()) throw nodeError;
			out.push(output({ mailbox: mailboxAddress, action: 'failed', error: nodeError.message }, i));
		}
	}
	const isDryRun = this.getNodeParameter('dryRun', 0, false) as boolean;
	const graph = isDryRun ? undefined : await graphTransport.call(this);
	const atATime = mailboxesAtATimeOf(this, this.getNodeParameter('mailboxesAtATime', 0, undefined), 'Link');
	// Mailboxes are linked several at a time (each still within its own 4 requests). Without Continue On
	// Fail, a failed link fails the node after the other mailboxes' links are stored.
	const perMailbox = await mapLimit([...byMailbox], atATime, async ([mailboxAddress, entries]): Promise<INodeExecutionData[] | Error> => {
		const linked: INodeExecutionData[] = [];
		if (!graph) {
			for (const { index, link } of entries) {
				ledger.plan(mailboxAddress, `activity ${link.activity}`, `link event ${link.eventId} to LN activity ${link.activity}`);
				linked.push(output({ mailbox: mailboxAddress, ...link, dryRun: true, action: 'link' } as unknown as IDataObject, index));
			}
			return linked;
		}
		const state = syncStateOf(this);
		const outcomes = await linkEvents(graph, mailboxAddress, entries.map((e) => e.link), linkKeyOf(graph), (eventId, changeKey) => state.noteEcho(mailboxAddress, eventId, changeKey));
		for (const outcome of outcomes) {
			const index = entries.find((e) => e.link === outcome.request)!.index;
			if (!outcome.ok) {
				const message = `Could not link event ${outcome.request.eventId} of ${mailboxAddress} to LN activity ${outcome.request.activity}: ${outcome.error}`;
				ledger.error(mailboxAddress, `activity ${outcome.request.activity}`, 'transient', message);
				if (!this.continueOnFail()) return toNodeError(this, new Error(message), index, 'Link');
				linked.push(output({ mailbox: mailboxAddress, ...outcome.request, action: 'failed', error: message } as unknown as IDataObject, index));
				continue;
			}
			if (!outcome.request.remove) ledger.count(mailboxAddress, 'eventsLinked');
			linked.push(output({ mailbox: mailboxAddress, ...outcome.request, action: outcome.request.remove ? 'unlinked' : 'linked' } as unknown as IDataObject, index));
		}
		return linked;
	});
	for (const result of perMailbox) {
		if (result instanceof Error) throw result;
		out.push(...result);
	}
	return out;
}
