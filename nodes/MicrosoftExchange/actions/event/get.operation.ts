import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { DateTime } from 'luxon';

import { getEventChange } from '../../../../lib/graph/changes';
import { checkedLnCompany } from '../../../../lib/ln/contract';
import type { SyncUser } from '../../../../lib/sync/model';
import { ledgerFor } from '../../../../lib/sync/report';
import { SyncUserIndex } from '../../../../lib/sync/sync-users';
import { company, horizon, mailbox, mailboxValue, show, syncUsers } from '../../descriptions/common';
import { errorClassOf, output, parseJson, toNodeError } from '../../helpers/execute';
import { graphTransport, linkKeyOf } from '../../../shared/graph-transport';

const operations = ['get'];
const where = show('event', operations);

export const description: INodeProperties[] = [
	mailbox('event', operations),
	{
		displayName: 'Event ID',
		name: 'eventId',
		type: 'string',
		required: true,
		default: '={{ $json.eventId }}',
		displayOptions: where,
	},
	company('event', operations),
	syncUsers('event', operations),
	horizon('event', operations),
	{
		displayName: 'Private Events',
		name: 'allowPrivate',
		type: 'boolean',
		default: false,
		description: 'Whether a private event counts as one to create in LN',
		displayOptions: where,
	},
];

/** One event with its link to LN, classified like Get Changes does (used by push). */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const items = this.getInputData();
	const ledger = ledgerFor(this.getExecutionId());
	const graph = await graphTransport.call(this);
	const out: INodeExecutionData[] = [];
	for (let i = 0; i < items.length; i++) {
		const mailboxAddress = mailboxValue(this.getNodeParameter('mailbox', i));
		const eventId = String(this.getNodeParameter('eventId', i) ?? '').trim();
		try {
			if (!mailboxAddress) throw new Error('field Mailbox is empty');
			if (!eventId) throw new Error('field Event ID is empty');
			const users = new SyncUserIndex(parseJson<SyncUser[]>(this.getNodeParameter('syncUsers', i, '[]'), 'Sync Users') ?? []);
			if (!users.isSyncMailbox(mailboxAddress)) throw new Error(`${mailboxAddress} is not an active sync user`);
			const change = await getEventChange(
				graph,
				{
					mailbox: mailboxAddress,
					company: checkedLnCompany(this.getNodeParameter('company', i)),
					syncUsers: users,
					now: DateTime.utc(),
					horizonDays: Number(this.getNodeParameter('horizonDays', i, 365)),
					allowPrivate: this.getNodeParameter('allowPrivate', i, false) as boolean,
					occurrenceCap: 100,
					linkKey: linkKeyOf(graph),
				},
				eventId,
			);
			if (change.action === 'skip' && change.reason) ledger.skip(mailboxAddress, `event ${eventId}`, change.reason);
			out.push(output(change as unknown as IDataObject, i));
		} catch (error) {
			const nodeError = toNodeError(this, error, i, `Event ${eventId} of ${mailboxAddress}`);
			ledger.error(mailboxAddress, `event ${eventId}`, errorClassOf(error), nodeError.message);
			if (!this.continueOnFail()) throw nodeError;
			out.push(output({ mailbox: mailboxAddress, eventId, action: 'failed', error: nodeError.message }, i));
		}
	}
	return out;
}
