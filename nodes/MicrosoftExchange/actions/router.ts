import { routerOf, type Operation } from '../../shared/router';
import { GRAPH_FAILURES } from '../helpers/execute';
import * as syncToFolder from './contact/syncToFolder.operation';
import * as get from './event/get.operation';
import * as getChanges from './event/getChanges.operation';
import * as linkToLnActivity from './event/linkToLnActivity.operation';
import * as syncFromLnActivity from './event/syncFromLnActivity.operation';
import * as send from './mail/send.operation';
import * as mailboxStateLoad from './mailboxState/load.operation';
import * as mailboxStateSave from './mailboxState/save.operation';
import * as subscriptionCreate from './subscription/create.operation';
import * as subscriptionDelete from './subscription/delete.operation';
import * as subscriptionGetMany from './subscription/getMany.operation';
import * as subscriptionKeep from './subscription/keep.operation';
import * as subscriptionRenew from './subscription/renew.operation';

export const operations: Record<string, Record<string, Operation>> = {
	contact: { syncToFolder },
	event: { syncFromLnActivity, getChanges, linkToLnActivity, get },
	mail: { send },
	mailboxState: { load: mailboxStateLoad, save: mailboxStateSave },
	subscription: { create: subscriptionCreate, delete: subscriptionDelete, getMany: subscriptionGetMany, keep: subscriptionKeep, renew: subscriptionRenew },
};

export const router = routerOf(GRAPH_FAILURES, operations);
