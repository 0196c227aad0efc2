import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import * as activityGet from './activity/get.operation';
import * as activityGetManyForSync from './activity/getManyForSync.operation';
import * as activityUpdate from './activity/update.operation';
import * as appointmentCreate from './appointment/create.operation';
import * as attendeeUpdateAttendanceStatus from './attendee/updateAttendanceStatus.operation';
import * as attendeeUpdateSyncFlags from './attendee/updateSyncFlags.operation';
import * as contactGetManyForSync from './contact/getManyForSync.operation';
import * as reportBuild from './report/build.operation';
import * as syncUserGetMany from './syncUser/getMany.operation';

type Operation = { execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> };

export const operations: Record<string, Record<string, Operation>> = {
	syncUser: { getMany: syncUserGetMany },
	contact: { getManyForSync: contactGetManyForSync },
	activity: { getManyForSync: activityGetManyForSync, get: activityGet, update: activityUpdate },
	appointment: { create: appointmentCreate },
	attendee: { updateSyncFlags: attendeeUpdateSyncFlags, updateAttendanceStatus: attendeeUpdateAttendanceStatus },
	report: { build: reportBuild },
};

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const resource = this.getNodeParameter('resource', 0) as string;
	const operation = this.getNodeParameter('operation', 0) as string;
	const handler = operations[resource]?.[operation];
	if (!handler) {
		throw new NodeOperationError(this.getNode(), `The operation "${operation}" of "${resource}" is not supported`);
	}
	return [await handler.execute.call(this)];
}
