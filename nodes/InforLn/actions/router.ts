import { routerOf, type Operation } from '../../shared/router';
import { LN_FAILURES } from '../helpers/execute';
import * as activityGet from './activity/get.operation';
import * as activityGetManyForSync from './activity/getManyForSync.operation';
import * as activityUpdate from './activity/update.operation';
import * as appointmentCreate from './appointment/create.operation';
import * as attendeeUpdateAttendanceStatus from './attendee/updateAttendanceStatus.operation';
import * as attendeeUpdateSyncFlags from './attendee/updateSyncFlags.operation';
import * as contactGetManyForSync from './contact/getManyForSync.operation';
import * as reportBuild from './report/build.operation';
import * as reportHistory from './report/history.operation';
import * as reportStatusPage from './report/statusPage.operation';
import * as syncUserGetInvolved from './syncUser/getInvolved.operation';
import * as syncUserGetMany from './syncUser/getMany.operation';

export const operations: Record<string, Record<string, Operation>> = {
	syncUser: { getMany: syncUserGetMany, getInvolved: syncUserGetInvolved },
	contact: { getManyForSync: contactGetManyForSync },
	activity: { getManyForSync: activityGetManyForSync, get: activityGet, update: activityUpdate },
	appointment: { create: appointmentCreate },
	attendee: { updateSyncFlags: attendeeUpdateSyncFlags, updateAttendanceStatus: attendeeUpdateAttendanceStatus },
	report: { build: reportBuild, history: reportHistory, statusPage: reportStatusPage },
};

export const router = routerOf(LN_FAILURES, operations);
