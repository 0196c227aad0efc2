import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import type { LnActivity, LnDeletedActivity, SyncUser } from '../../../../lib/sync/model';
import { ledgerFor } from '../../../../lib/sync/report';
import { involvedMailboxes, SyncUserIndex } from '../../../../lib/sync/sync-users';
import { syncUsersProperty } from '../../descriptions/common';
import { forEachItem, isEmptyItem, listParameter } from '../../helpers/execute';

const operations = ['getInvolved'];

export const description: INodeProperties[] = [
	{
		...syncUsersProperty('syncUser', operations),
		description: 'The sync users (output of Sync User → Get Many); the organizer and the attendees are matched to them by employee',
	},
];

/**
 * For each input activity (Activity → Get, a deleted marker included), one item per sync user it
 * concerns: the activity with the field `mailbox`. A pushed LN change can so take each mailbox's
 * lease and be synchronized mailbox by mailbox, as a pull does.
 */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const ledger = ledgerFor(this.getExecutionId());
	// The sync users are the same for every activity: read and indexed once, not per item.
	const index = new SyncUserIndex(listParameter<SyncUser>(this, 'syncUsers', 'Sync Users', 'sync users (the output of Sync User → Get Many)') ?? []);
	return forEachItem(this, () => 'Sync users involved', async (i) => {
		const json = this.getInputData()[i].json;
		if (isEmptyItem(json) || json.id === undefined) return [];
		const mailboxes = involvedMailboxes(json as unknown as LnActivity | LnDeletedActivity, index);
		if (mailboxes.length === 0) ledger.skip(undefined, `activity ${String(json.id)}`, 'no sync user organizes or attends it');
		return mailboxes.map((mailbox): IDataObject => ({ ...json, mailbox }));
	});
}
