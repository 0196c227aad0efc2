import type { INodeProperties } from 'n8n-workflow';

import * as activityGet from '../actions/activity/get.operation';
import * as activityGetManyForSync from '../actions/activity/getManyForSync.operation';
import * as activityUpdate from '../actions/activity/update.operation';
import * as appointmentCreate from '../actions/appointment/create.operation';
import * as attendeeUpdateAttendanceStatus from '../actions/attendee/updateAttendanceStatus.operation';
import * as attendeeUpdateSyncFlags from '../actions/attendee/updateSyncFlags.operation';
import * as contactGetManyForSync from '../actions/contact/getManyForSync.operation';
import * as reportBuild from '../actions/report/build.operation';
import * as reportHistory from '../actions/report/history.operation';
import * as reportStatusPage from '../actions/report/statusPage.operation';
import * as syncUserGetInvolved from '../actions/syncUser/getInvolved.operation';
import * as syncUserGetMany from '../actions/syncUser/getMany.operation';
import { apiMappingProperty } from './common';

export const properties: INodeProperties[] = [
	{
		displayName: 'Resource',
		name: 'resource',
		type: 'options',
		noDataExpression: true,
		options: [
			{ name: 'Activity', value: 'activity' },
			{ name: 'Appointment', value: 'appointment' },
			{ name: 'Attendee', value: 'attendee' },
			{ name: 'Contact', value: 'contact' },
			{ name: 'Sync Report', value: 'report' },
			{ name: 'Sync User', value: 'syncUser' },
		],
		default: 'activity',
	},
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['activity'] } },
		options: [
			{ name: 'Get', value: 'get', description: 'Get one activity with its attendees', action: 'Get an activity' },
			{
				name: 'Get Many for Sync',
				value: 'getManyForSync',
				description: 'Get the appointments and calls of the window with their attendees',
				action: 'Get activities for sync',
			},
			{ name: 'Update', value: 'update', description: 'Change fields, status or attendees of an activity', action: 'Update an activity' },
		],
		default: 'getManyForSync',
	},
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['appointment'] } },
		options: [
			{
				name: 'Create',
				value: 'create',
				description: 'Create an appointment with attendees from an Exchange event',
				action: 'Create an appointment',
			},
		],
		default: 'create',
	},
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['attendee'] } },
		options: [
			{
				name: 'Update Attendance Status',
				value: 'updateAttendanceStatus',
				description: 'Write back an Exchange response',
				action: 'Update attendance status',
			},
			{
				name: 'Update Sync Flags',
				value: 'updateSyncFlags',
				description: 'Set Sent to Synchronizer and Synchronized',
				action: 'Update sync flags',
			},
		],
		default: 'updateSyncFlags',
	},
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['contact'] } },
		options: [
			{
				name: 'Get Many for Sync',
				value: 'getManyForSync',
				description: 'Get the contacts marked Synchronize',
				action: 'Get contacts for sync',
			},
		],
		default: 'getManyForSync',
	},
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['report'] } },
		options: [
			{ name: 'Build', value: 'build', description: 'Build the run report', action: 'Build the run report' },
			{ name: 'Make History Rows', value: 'history', description: 'Turn the run report into rows for the history Data Table', action: 'Make history rows' },
			{ name: 'Render Status Page', value: 'statusPage', description: 'Make the status page (HTML) from the history rows', action: 'Render the status page' },
		],
		default: 'build',
	},
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['syncUser'] } },
		options: [
			{ name: 'Get Many', value: 'getMany', description: 'Get the active sync users', action: 'Get sync users' },
			{
				name: 'Get Involved',
				value: 'getInvolved',
				description: 'One item per sync user an activity concerns (its organizer and attendees; every sync user for a deleted one)',
				action: 'Get the sync users an activity concerns',
			},
		],
		default: 'getMany',
	},
	...syncUserGetMany.description,
	...syncUserGetInvolved.description,
	...contactGetManyForSync.description,
	...activityGetManyForSync.description,
	...activityGet.description,
	...activityUpdate.description,
	...appointmentCreate.description,
	...attendeeUpdateSyncFlags.description,
	...attendeeUpdateAttendanceStatus.description,
	...reportBuild.description,
	...reportHistory.description,
	...reportStatusPage.description,
	apiMappingProperty,
];
