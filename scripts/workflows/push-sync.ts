import { CREDENTIALS, filterNode, ifNode, ours, setNode, sticky, switchNode, WorkflowBuilder, type Workflow } from './builder';
import { ALERT_WORKFLOW_ID } from './error-alert';
import { addHistory } from './history';
import { addMailboxLeases, addMailboxRelease, LEASED_ROWS, TAKE_LEASE } from './mailbox-state';
import { addExchangeChangesToLn, addFailWhenUsersFail, addLnCheck, addLnWriteBack } from './pull-sync';

export const PUSH_WORKFLOW_ID = 'lnExchangePush01';
export const GRAPH_TRIGGER_PATH = 'ln-exchange-sync/graph';
export const LN_WEBHOOK_PATH = 'ln-exchange-sync/ln';
const MAILBOXES_TO_SYNC = 'Mailboxes to sync';

const setting = (name: string) => `={{ $('Settings').first().json.${name} }}`;

/**
 * LN ⇄ Exchange push sync (SPEC §5): a change in Exchange (Microsoft Graph Trigger) or a message
 * from LN (Infor LN Trigger: header secret or HMAC) synchronizes just that event, through the same operations
 * as the pull. A schedule keeps one Graph subscription per LN sync user alive.
 */
export function pushSyncWorkflow(): Workflow {
	const w = new WorkflowBuilder(PUSH_WORKFLOW_ID, 'LN ⇄ Exchange: push sync');
	w.add(sticky('About', [
		'## LN ⇄ Exchange push sync',
		'Activate this workflow to enable push. The pull sync keeps running as the safety net.',
		'- **Exchange changes**: Microsoft Graph notifies **Exchange changed**; the event is synchronized with LN.',
		'- **LN messages**: LN posts `{company, activityId, changeType}` to **LN changed** with a header secret or an HMAC signature; that activity is synchronized.',
		'- **Keep subscriptions** (every 6 hours, and **Run now** once after activating) subscribes the LN sync users\' calendars and renews them.',
		'- **Leases**: a change in a mailbox that a pull (or another push) is syncing at that moment is left to it, with a warning (Data Table *LN Exchange Sync mailboxes*, n8n 2.x); the next pull brings it.',
		'- **Push report** ends each execution; one in which a user failed ends in error, and the alert workflow mails the administrators.',
		'',
		'**Credentials:** *Infor LN ION API*, *Microsoft Graph (app-only)*, and *Infor LN Webhook* (the secret LN sends in `X-LN-Webhook-Secret`, or signs with in `X-LN-Signature` and `X-LN-Timestamp`).',
	].join('\n'), [-240, -480], 660, 320, 5));
	w.add(sticky('Settings area', '## ⚙️ Settings\nAll settings are in **Settings**; the renewal interval is **Every 6 hours**.', [-240, -140], 660, 660, 3));

	w.add({ name: 'Exchange changed', type: ours('microsoftGraphTrigger'), typeVersion: 1, position: [-180, -40], credentials: CREDENTIALS.graph, webhookId: 'b9c0f0a6-5e0e-4c7a-9a61-2f4d1c3e9b01', parameters: { mailboxes: '', path: GRAPH_TRIGGER_PATH, watch: 'events', changeTypes: ['created', 'updated', 'deleted'] } });
	w.add({ name: 'LN changed', type: ours('inforLnTrigger'), typeVersion: 1, position: [-180, 140], credentials: CREDENTIALS.lnWebhook, webhookId: '4f7e2a1c-8d3b-4b6e-9c2a-7e5f1d0a3b02', parameters: { path: LN_WEBHOOK_PATH } });
	w.add({ name: 'Every 6 hours', type: 'n8n-nodes-base.scheduleTrigger', typeVersion: 1.2, position: [-180, 320], parameters: { rule: { interval: [{ field: 'hours', hoursInterval: 6 }] } } });
	w.add({ name: 'Run now', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [-180, 460], parameters: {} });
	w.add(setNode('Settings', [140, 200], {
		horizonDays: 365,
		conflictPolicy: 'originWins',
		privateEvents: false,
		occurrenceCap: 100,
		brakeShare: 0.2,
		dryRun: false,
		timeZone: '',
		failWhenUsersFail: true,
		keepHistory: true,
		historyDays: 365,
		leaseMinutes: 30,
	}, true));
	for (const trigger of ['Exchange changed', 'LN changed', 'Every 6 hours', 'Run now']) w.connect(trigger, 'Settings');
	w.add(switchNode('What happened?', [460, 200], "={{ $json.kind ?? 'schedule' }}", [
		{ value: 'change', output: 'Exchange change' },
		{ value: 'resync', output: 'Exchange resync' },
		{ value: 'ln', output: 'LN message' },
		{ value: 'schedule', output: 'Subscriptions' },
	]));
	w.connect('Settings', 'What happened?');

	// ---------- An event changed in Exchange (or notifications were missed) ----------
	w.add({ name: 'Add sync users', type: ours('inforLn'), typeVersion: 1, position: [600, -200], credentials: CREDENTIALS.ln, parameters: { resource: 'syncUser', operation: 'getMany', source: 'api', output: 'attach' } });
	w.connect('What happened?', 'Add sync users', 0).connect('What happened?', 'Add sync users', 1);
	// Both paths meet here with one item per mailbox (a notification's, or each one an LN change concerns).
	w.add({ name: MAILBOXES_TO_SYNC, type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [760, -200], parameters: {} });
	w.connect('Add sync users', MAILBOXES_TO_SYNC);
	// The mailbox's lease first, as the pull takes it: a mailbox a pull (or another push) is syncing
	// now is left to it, with a warning; that run, or the next pull's delta read, brings the change.
	addMailboxLeases(w, {
		start: MAILBOXES_TO_SYNC,
		at: [760, -1160],
		leaseMinutes: "$('Settings').first().json.leaseMinutes",
		mailbox: `$('${MAILBOXES_TO_SYNC}').item.json.mailbox`,
		users: `={{ [...new Set($('${MAILBOXES_TO_SYNC}').all().map(item => String(item.json.mailbox).toLowerCase()))].map(email => ({ email })) }}`,
		load: 'Load mailbox state',
	});
	// Below the lease steps, so that n8n's order runs it after them; without Data Tables (n8n 1.x) every change goes on.
	w.add(filterNode('Mailbox leased?', [900, -120], `={{ !$('${TAKE_LEASE}').isExecuted || ${LEASED_ROWS}.some(row => row.json.mailbox === String($json.mailbox).toLowerCase()) }}`));
	w.add(switchNode('What to sync?', [1020, -200], '={{ $json.kind }}', [
		{ value: 'change', output: 'One event' },
		{ value: 'resync', output: 'Whole mailbox' },
		{ value: 'ln', output: 'LN activity' },
	]));
	w.connect(MAILBOXES_TO_SYNC, 'Mailbox leased?').connect('Mailbox leased?', 'What to sync?');
	// Last after the change: its mailbox's state written back, its lease released.
	addMailboxRelease(w, [900, 100], MAILBOXES_TO_SYNC);
	w.add({
		name: 'Exchange: changed event',
		type: ours('microsoftExchange'),
		typeVersion: 1,
		position: [1280, -280],
		credentials: CREDENTIALS.graph,
		onError: 'continueRegularOutput',
		parameters: {
			resource: 'event',
			operation: 'get',
			mailbox: { __rl: true, mode: 'email', value: '={{ $json.mailbox }}' },
			eventId: '={{ $json.eventId }}',
			company: '={{ $json.company }}',
			syncUsers: '={{ $json.syncUsers }}',
			horizonDays: setting('horizonDays'),
			allowPrivate: setting('privateEvents'),
		},
	});
	w.connect('What to sync?', 'Exchange: changed event', 0);
	w.add(switchNode('Kind of change', [1540, -280], "={{ ['createInLn', 'updateLn', 'cancelInLn'].includes($json.action) ? 'other' : $json.linkedKey ? 'linked' : ($json.removedReason === 'deleted' ? 'deleted' : 'other') }}", [
		{ value: 'linked', output: 'Linked to LN' },
		{ value: 'deleted', output: 'Deleted' },
		{ value: 'other', output: 'New or occurrence' },
	]));
	w.connect('Exchange: changed event', 'Kind of change');
	w.add({ name: 'LN: activity of event', type: ours('inforLn'), typeVersion: 1, position: [1800, -440], credentials: CREDENTIALS.ln, parameters: { resource: 'activity', operation: 'get', activityId: '={{ $json.activity }}', notFound: 'marker' } });
	w.add(setNode('Just this event', [2060, -440], {
		syncMailbox: "={{ $('Kind of change').item.json.mailbox }}",
		syncComplete: false,
		syncTarget: 'mailbox',
		company: "={{ $('Add sync users').item.json.company }}",
		syncUsers: "={{ $('Add sync users').item.json.syncUsers }}",
	}, true, { syncUsers: 'array' }));
	w.connect('Kind of change', 'LN: activity of event', 0).connect('LN: activity of event', 'Just this event');

	// A deletion, or missed notifications: compare all of the mailbox's linked events with LN.
	w.add(setNode('Whole mailbox', [1800, -200], {
		mailbox: '={{ $json.mailbox }}',
		employee: "={{ ($('Add sync users').item.json.syncUsers.find(user => user.email.toLowerCase() === $json.mailbox) ?? {}).employee }}",
		company: "={{ $('Add sync users').item.json.company }}",
		syncUsers: "={{ $('Add sync users').item.json.syncUsers }}",
	}, false, { syncUsers: 'array' }));
	w.connect('Kind of change', 'Whole mailbox', 1).connect('What to sync?', 'Whole mailbox', 1);
	w.add({
		name: 'LN: activities of mailbox',
		type: ours('inforLn'),
		typeVersion: 1,
		position: [2060, -200],
		credentials: CREDENTIALS.ln,
		alwaysOutputData: true,
		parameters: { resource: 'activity', operation: 'getManyForSync', employee: '={{ $json.employee }}', horizonDays: setting('horizonDays') },
	});
	w.add(setNode('All of this mailbox', [2320, -200], {
		syncMailbox: "={{ $('Whole mailbox').item.json.mailbox }}",
		syncComplete: true,
		syncTarget: 'mailbox',
		company: "={{ $('Whole mailbox').item.json.company }}",
		syncUsers: "={{ $('Whole mailbox').item.json.syncUsers }}",
	}, true, { syncUsers: 'array' }));
	w.connect('Whole mailbox', 'LN: activities of mailbox').connect('LN: activities of mailbox', 'All of this mailbox');

	// ---------- A message from LN ----------
	// The activity is read, then synchronized mailbox by mailbox (each one's lease taken above), as a pull would.
	w.add({ name: 'Add sync users (LN)', type: ours('inforLn'), typeVersion: 1, position: [600, 260], credentials: CREDENTIALS.ln, parameters: { resource: 'syncUser', operation: 'getMany', source: 'api', output: 'attach' } });
	w.add(ifNode('Our LN company?', [600, 420], "={{ String($('Settings').item.json.company) === String($json.company) }}"));
	w.add({ name: 'LN: the activity', type: ours('inforLn'), typeVersion: 1, position: [600, 580], credentials: CREDENTIALS.ln, parameters: { resource: 'activity', operation: 'get', activityId: "={{ $('Settings').item.json.activityId }}", notFound: 'marker' } });
	w.add({
		name: 'Sync users involved',
		type: ours('inforLn'),
		typeVersion: 1,
		position: [600, 740],
		credentials: CREDENTIALS.ln,
		parameters: { resource: 'syncUser', operation: 'getInvolved', syncUsers: "={{ $('Add sync users (LN)').first().json.syncUsers }}" },
	});
	w.add(setNode('Mark LN activity', [760, 740], { kind: 'ln' }, true));
	// The Infor LN Trigger has checked the secret and the message, and answered LN.
	w.connect('What happened?', 'Add sync users (LN)', 2).connect('Add sync users (LN)', 'Our LN company?').connect('Our LN company?', 'LN: the activity').connect('LN: the activity', 'Sync users involved');
	w.connect('Sync users involved', 'Mark LN activity').connect('Mark LN activity', MAILBOXES_TO_SYNC);
	w.add(setNode('This activity', [2060, 240], {
		syncMailbox: '={{ $json.mailbox }}',
		syncComplete: false,
		syncTarget: 'mailbox',
		company: "={{ $('Add sync users (LN)').first().json.company }}",
		syncUsers: "={{ $('Add sync users (LN)').first().json.syncUsers }}",
	}, true, { syncUsers: 'array' }));
	w.connect('What to sync?', 'This activity', 2);

	// ---------- One node synchronizes for all three paths ----------
	w.add({
		name: 'LN activity → Exchange',
		type: ours('microsoftExchange'),
		typeVersion: 1,
		position: [2580, 0],
		credentials: CREDENTIALS.graph,
		onError: 'continueRegularOutput',
		parameters: {
			resource: 'event',
			operation: 'syncFromLnActivity',
			target: '={{ $json.syncTarget }}',
			mailbox: { __rl: true, mode: 'email', value: '={{ $json.syncMailbox }}' },
			company: '={{ $json.company }}',
			syncUsers: '={{ $json.syncUsers }}',
			complete: '={{ $json.syncComplete }}',
			conflictPolicy: setting('conflictPolicy'),
			horizonDays: setting('horizonDays'),
			timeZone: setting('timeZone'),
			brakeShare: setting('brakeShare'),
			output: 'changes',
			dryRun: setting('dryRun'),
		},
	});
	w.connect('Just this event', 'LN activity → Exchange').connect('All of this mailbox', 'LN activity → Exchange').connect('This activity', 'LN activity → Exchange');
	const checked = addLnCheck(w, 'LN activity → Exchange', [2840, 420], {
		company: "={{ $('Check in LN?').item.json.company }}",
		syncUsers: "={{ ($('Add sync users').isExecuted ? $('Add sync users') : $('Add sync users (LN)')).first().json.syncUsers }}",
		conflictPolicy: setting('conflictPolicy'),
		horizonDays: setting('horizonDays'),
		timeZone: setting('timeZone'),
		brakeShare: setting('brakeShare'),
		dryRun: setting('dryRun'),
	});
	// LN reads the sync users itself when it must match new attendees.
	addLnWriteBack(w, ['LN activity → Exchange', checked], [3620, 0], { dryRun: setting('dryRun'), syncUsers: '' });

	// New events and occurrences from Exchange go the same way as in the pull.
	addExchangeChangesToLn(w, 'Kind of change', [1800, -760], { dryRun: setting('dryRun'), syncUsers: "={{ $('Add sync users').item.json.syncUsers }}" }, '={{ $json.mailbox }}', 2);

	// ---------- Subscriptions ----------
	w.add({ name: 'LN sync users', type: ours('inforLn'), typeVersion: 1, position: [760, 640], credentials: CREDENTIALS.ln, executeOnce: true, parameters: { resource: 'syncUser', operation: 'getMany', source: 'api', output: 'users' } });
	w.add({
		name: 'Keep subscriptions',
		type: ours('microsoftExchange'),
		typeVersion: 1,
		position: [1020, 640],
		credentials: CREDENTIALS.graph,
		executeOnce: true,
		parameters: {
			resource: 'subscription',
			operation: 'keep',
			mailboxes: "={{ $('LN sync users').all().map(item => item.json.email) }}",
			triggerPath: GRAPH_TRIGGER_PATH,
			webhookBaseUrl: '',
			watch: 'events',
			changeTypes: ['created', 'updated', 'deleted'],
			keepMarginHours: 56,
		},
	});
	w.connect('What happened?', 'LN sync users', 3).connect('LN sync users', 'Keep subscriptions');
	// Last (v1 order: the branch placed lowest runs after the others): what this push did, and an
	// execution that ends in error when a user failed, so that n8n and the alert workflow see it.
	w.add({ name: 'Push report', type: ours('inforLn'), typeVersion: 1, position: [460, 760], credentials: CREDENTIALS.ln, parameters: { resource: 'report', operation: 'build', scope: 'run', failedMailbox: "={{ $json.mailbox ?? '' }}" } });
	w.connect('Settings', 'Push report');
	addHistory(w, { report: 'Push report', at: [720, 900], everyUser: false, settings: 'Settings' });
	addFailWhenUsersFail(w, 'Push report', [720, 1060], 'the report');
	// n8n starts the alert workflow when an execution of this one fails.
	return w.build({ errorWorkflow: ALERT_WORKFLOW_ID });
}
