import { CREDENTIALS, filterNode, ifNode, ours, setNode, splitOut, sticky, stopNode, switchNode, WorkflowBuilder, type Workflow } from './builder';
import { ALERT_WORKFLOW_ID } from './error-alert';
import { addHistory, addStatusPage, STATUS_WEBHOOK } from './history';
import { addMailboxLeases, addMailboxRelease, DATA_TABLES_HERE, USERS_TO_SYNC } from './mailbox-state';

export const PULL_WORKFLOW_ID = 'lnExchangePull01';
/** The webhook a shard is posted to when shards run on n8n's queue-mode workers. */
export const SHARD_WEBHOOK_PATH = 'ln-exchange-sync/shard';

const SHARD_START = 'Shard start';
/** Where the contacts step starts: one item per mailbox whose folder it writes, each with the run's settings. */
const CONTACT_FOLDERS = 'Contact folders to write';
const contactSetting = (name: string) => `={{ $('${CONTACT_FOLDERS}').first().json.settings.${name} }}`;
/** Whether a report came back from a job that wrote contact folders (not a calendar run). */
const CONTACTS_PART = "part === 'contacts'";
/** Reads a setting in the per-shard part (the settings arrive with each user's item, the same for all). */
const setting = (name: string) => `={{ $('${SHARD_START}').first().json.settings.${name} }}`;
const syncUsersOfRun = `={{ $('${SHARD_START}').first().json.syncUsers }}`;
/** The per-shard part's write-back nodes: the shard's settings and sync users. */
const RUN: RunParameters = { dryRun: setting('dryRun'), syncUsers: syncUsersOfRun, mailboxesAtATime: setting('mailboxesAtATime') };
/** A dry run when Settings says so, or when the status page asked for the plan of the next run. */
const DRY_RUN = `Boolean($('Settings').first().json.dryRun) || $('${STATUS_WEBHOOK}').isExecuted`;
/** A field of the sync user an item belongs to (followed back through the items it came from). */
const user = (name: string) => `={{ $('${USERS_TO_SYNC}').item.json.${name} }}`;
const mailboxOfUser = { __rl: true, mode: 'email', value: user('email') };

/**
 * LN ⇄ Exchange pull sync (SPEC §3–§4, §6–§7): on a schedule (or by hand), contacts LN → every sync
 * user's contact folder, then, per shard of sync users in its own execution (this same workflow,
 * called through "Shard start"), LN activities ⇄ Exchange events, several mailboxes at a time;
 * ends with the run report.
 */
export function pullSyncWorkflow(): Workflow {
	const w = new WorkflowBuilder(PULL_WORKFLOW_ID, 'LN ⇄ Exchange: pull sync');

	w.add(sticky('About', [
		'## LN ⇄ Exchange pull sync',
		'Runs every hour (change it in **Every hour**) or by hand (**Run now**, also `n8n execute`).',
		'1. Reads the active **sync users** from LN.',
		'2. Writes the LN contacts marked *Synchronize* into each user\'s contact folder.',
		'3. Runs **Shard start** once per shard of sync users (*Users per shard*), each in its own execution, working *Mailboxes at a time* mailboxes at once: LN activities ⇄ Exchange events, attendee flags and responses back to LN, new Exchange meetings into LN.',
		'With *shardsOnWorkers*, steps 2 and 3 are two jobs per shard (its users\' contact folders, their calendars) posted to this workflow\'s shard webhook: on queue-mode workers, or side by side in one n8n.',
		'4. Ends with **Run report**: one item per user and a total, kept in the Data Table *LN Exchange Sync history* (n8n 2.x; *keepHistory*, *historyDays*); a run in which a user failed then ends in error (*failWhenUsersFail*).',
		'',
		'**Status page** (top left): GET `/webhook/ln-exchange-sync/status` with the *Status page login* (Basic Auth); `?plan=1` shows what the next run would change (a dry run).',
		'',
		'**Credentials:** *Infor LN ION API* on the Infor LN nodes, *Microsoft Graph (app-only)* on the Microsoft Exchange nodes, *Basic Auth* (Status page login) on **Status page**.',
	].join('\n'), [-240, -480], 620, 360, 5));
	w.add(sticky('Settings area', '## ⚙️ Settings\nThe pull interval is **Every hour**; everything else is in **Settings**. Dry run = plan only, change nothing.', [-240, -100], 620, 400, 3));
	// First in node order: `n8n execute` starts from the first trigger it finds.
	w.add({ name: 'Run now', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [-200, 180], parameters: {} });
	w.add({ name: 'Every hour', type: 'n8n-nodes-base.scheduleTrigger', typeVersion: 1.2, position: [-200, 20], parameters: { rule: { interval: [{ field: 'hours', hoursInterval: 1 }] } } });
	w.add(ifNode('Pull interval ≥ 1 minute?', [40, 100], "={{ $('Every hour').params.rule.interval.every(rule => rule.field !== 'seconds' && !(rule.field === 'cronExpression' && String(rule.expression).trim().split(/\\s+/).length > 5)) }}"));
	w.add(stopNode('Pull interval too short', [300, 280], 'The pull interval is below 1 minute. Set "Every hour" to 1 minute or more (15 minutes or more is recommended).'));
	w.add(setNode('Settings', [300, 100], {
		horizonDays: 365,
		conflictPolicy: 'originWins',
		contactFolder: 'LN Contacts',
		privateEvents: false,
		occurrenceCap: 100,
		brakeShare: 0.2,
		dryRun: false,
		timeZone: '',
		mailboxesAtATime: 16,
		usersPerShard: 100,
		leaseMinutes: 30,
		shardsOnWorkers: false,
		shardUrl: '',
		failWhenUsersFail: true,
		keepHistory: true,
		historyDays: 365,
	}));
	w.connect('Every hour', 'Pull interval ≥ 1 minute?').connect('Run now', 'Pull interval ≥ 1 minute?');
	w.connect('Pull interval ≥ 1 minute?', 'Settings', 0).connect('Pull interval ≥ 1 minute?', 'Pull interval too short', 1);

	w.add({ name: 'LN sync users', type: ours('inforLn'), typeVersion: 1, position: [460, 100], credentials: CREDENTIALS.ln, parameters: { resource: 'syncUser', operation: 'getMany', source: 'api', output: 'users', attachAll: true } });
	w.connect('Settings', 'LN sync users');

	// Contacts: read LN once, write the folder of every mailbox given (the pull's users, or a job's).
	w.add({ name: CONTACT_FOLDERS, type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [1100, -220], parameters: {} });
	w.add({ name: 'LN contacts', type: ours('inforLn'), typeVersion: 1, position: [1340, -220], credentials: CREDENTIALS.ln, executeOnce: true, alwaysOutputData: true, onError: 'continueErrorOutput', parameters: { resource: 'contact', operation: 'getManyForSync' } });
	w.add({
		name: 'Contacts → Exchange folders',
		type: ours('microsoftExchange'),
		typeVersion: 1,
		position: [1580, -220],
		credentials: CREDENTIALS.graph,
		onError: 'continueRegularOutput',
		parameters: {
			resource: 'contact',
			operation: 'syncToFolder',
			mailboxes: `={{ $('${CONTACT_FOLDERS}').all().map(item => item.json.email) }}`,
			folderName: contactSetting('contactFolder'),
			options: { output: 'summary', brakeShare: contactSetting('brakeShare'), mailboxesAtATime: contactSetting('mailboxesAtATime') },
			dryRun: contactSetting('dryRun'),
		},
	});
	w.connect(CONTACT_FOLDERS, 'LN contacts').connect('LN contacts', 'Contacts → Exchange folders');

	// Calendars: one execution per shard of sync users, one shard after another in this process, after
	// the contacts. Or, with shardsOnWorkers, every shard's contact folders and calendars at once.
	w.add(setNode('Prepare per-user run', [720, 260], { settings: `={{ { ...$('Settings').first().json, dryRun: ${DRY_RUN} } }}` }, true, { settings: 'object' }));
	// Queue mode: two jobs per shard (its users' contact folders, their calendars), all posted to this
	// workflow's shard webhook at once; n8n makes each post a job that any worker takes (in one n8n they
	// run side by side), and the answer is the job's user reports.
	w.add(ifNode('Shards on workers?', [860, 260], "={{ $('Settings').first().json.shardsOnWorkers === true }}"));
	w.add({
		name: 'Shards for workers',
		type: 'n8n-nodes-base.set',
		typeVersion: 3.4,
		position: [1100, 420],
		executeOnce: true,
		// The list of every sync user goes with a job's first user only (the shard reads it there): with it on
		// every user, a post would grow with users × sync users (19 MB for 250 of 500, over n8n's 16 MB).
		parameters: { mode: 'raw', jsonOutput: "={{ JSON.stringify({ shards: $('Prepare per-user run').all().map(item => item.json).chunk(Number($('Settings').first().json.usersPerShard) || 100).map(users => users.map((user, i) => i === 0 ? user : { ...user, syncUsers: undefined })).flatMap(users => [{ part: 'calendars', users }, { part: 'contacts', users }]) }) }}", options: {} },
	});
	w.add(splitOut('One item per job', [1340, 420], 'shards'));
	w.add({
		name: 'Jobs on workers',
		type: 'n8n-nodes-base.httpRequest',
		typeVersion: 4.2,
		position: [1580, 420],
		credentials: CREDENTIALS.shardKey,
		onError: 'continueRegularOutput',
		parameters: {
			method: 'POST',
			// This n8n's own webhook address, unless Settings names another (a load balancer in front of the webhook processors).
			url: `={{ $('Settings').first().json.shardUrl || $execution.resumeUrl.replace(/\\/webhook-waiting\\/.*$/, '/webhook/${SHARD_WEBHOOK_PATH}') }}`,
			authentication: 'genericCredentialType',
			genericAuthType: 'httpHeaderAuth',
			sendBody: true,
			specifyBody: 'json',
			jsonBody: '={{ JSON.stringify({ part: $json.part, users: $json.users }) }}',
			// A shard that outlives its leases is given up on (the next run takes its mailboxes).
			options: { timeout: "={{ (Number($('Settings').first().json.leaseMinutes) || 30) * 60000 }}", response: { response: { responseFormat: 'json' } } },
		},
	});
	w.add({
		name: 'Shards of users',
		type: 'n8n-nodes-base.splitInBatches',
		typeVersion: 3,
		position: [980, 260],
		parameters: { batchSize: "={{ $('Settings').first().json.usersPerShard }}", options: {} },
	});
	w.add({
		name: 'Calendars of a shard',
		type: 'n8n-nodes-base.executeWorkflow',
		typeVersion: 1.3,
		position: [1240, 420],
		onError: 'continueRegularOutput',
		parameters: {
			source: 'database',
			workflowId: { __rl: true, mode: 'id', value: '={{ $workflow.id }}' },
			mode: 'once',
			options: { waitForSubWorkflow: true },
		},
	});
	// One pull settles everything: users whose calendars another user's run changed are checked once
	// more, and once again for what that pass changed (mailboxes run side by side, so a run may have
	// seen a calendar as it was before another's).
	// A user is checked again when a run asked for it, or when it waits for an organizer whose calendar
	// run went through (not for one whose run failed: that would wait in vain, run after run). A user
	// whose own calendar run failed (no access, LN activities not read) waits for the next pull: a
	// second try now would fail alike; other errors of a run (a refused record) do not hold it back.
	// The last pass is only for what another user's run changed.
	const calendarRan = (report: string) => `!(${report}.${CONTACTS_PART}) && !((${report}.errors ?? []).some(line => line.ref === 'calendar') || (${report}.skipped ?? []).some(line => line.ref === 'calendar') || (${report}.warnings ?? []).some(line => line.ref === 'lease'))`;
	const askedOf = (self: boolean) => `$input.all().some(report => (report.json.recheck ?? []).includes($json.mailbox)${self ? '' : ' && report.json.mailbox !== $json.mailbox'})`;
	const organizerWentThrough = `($json.waitingFor ?? []).some(organizer => $input.all().some(report => report.json.mailbox === organizer && ${calendarRan('report.json')}))`;
	const passes = [
		{ check: 'Check again?', same: 'Same user again', run: 'Calendars checked again', y: 100, condition: `(${askedOf(true)} || ${organizerWentThrough})` },
		{ check: 'Check once more?', same: 'Same user once more', run: 'Calendars checked once more', y: -60, condition: askedOf(false) },
	];
	for (const pass of passes) {
		w.add(filterNode(pass.check, [1500, pass.y], `={{ ${calendarRan('$json')} && ${pass.condition} }}`));
		w.add({
			name: pass.same,
			type: 'n8n-nodes-base.set',
			typeVersion: 3.4,
			position: [1760, pass.y],
			parameters: { mode: 'raw', jsonOutput: "={{ JSON.stringify($('Prepare per-user run').all().find(user => String(user.json.email).toLowerCase() === $json.mailbox).json) }}", options: {} },
		});
		w.add({
			name: pass.run,
			type: 'n8n-nodes-base.executeWorkflow',
			typeVersion: 1.3,
			position: [2020, pass.y],
			onError: 'continueRegularOutput',
			parameters: { source: 'database', workflowId: { __rl: true, mode: 'id', value: '={{ $workflow.id }}' }, mode: 'once', options: { waitForSubWorkflow: true } },
		});
		w.connect(pass.check, pass.same).connect(pass.same, pass.run);
	}
	w.add({ name: 'All passes', type: 'n8n-nodes-base.merge', typeVersion: 3, position: [2280, 260], parameters: { mode: 'append', numberInputs: 3 } });
	w.add({
		name: 'Run report',
		type: ours('inforLn'),
		typeVersion: 1,
		position: [2540, 260],
		credentials: CREDENTIALS.ln,
		parameters: {
			resource: 'report',
			operation: 'build',
			scope: 'run',
			// A shard that failed as a whole names nobody: "Every Sync User" then reports each of its users.
			failedMailbox: "={{ $json.mailbox ?? '' }}",
			expectedMailboxes: "={{ $('LN sync users').all().map(item => item.json.email) }}",
		},
	});
	w.connect('LN sync users', 'Prepare per-user run').connect('Prepare per-user run', 'Shards on workers?');
	w.connect('Shards on workers?', 'Shards for workers', 0).connect('Shards on workers?', CONTACT_FOLDERS, 1).connect('Shards on workers?', 'Shards of users', 1);
	w.connect('Shards for workers', 'One item per job').connect('One item per job', 'Jobs on workers');
	w.connect('Jobs on workers', 'All passes', 0, 0).connect('Jobs on workers', 'Check again?');
	w.connect('Shards of users', 'Calendars of a shard', 1).connect('Calendars of a shard', 'Shards of users');
	w.connect('Shards of users', 'All passes', 0, 0).connect('Shards of users', 'Check again?', 0);
	w.connect('Calendars checked again', 'All passes', 0, 1).connect('Calendars checked again', 'Check once more?');
	w.connect('Calendars checked once more', 'All passes', 0, 2);
	w.connect('All passes', 'Run report');
	// After the report, top to bottom: the history, the page that asked for the plan, the failure.
	addHistory(w, { report: 'Run report', at: [2800, 20], everyUser: true, settings: 'Settings' });
	w.add(ifNode('Page asked for the plan?', [2800, 160], `={{ $('${STATUS_WEBHOOK}').isExecuted }}`));
	w.connect('Run report', 'Page asked for the plan?');
	addStatusPage(w, { at: [-200, -700], pullEntry: 'Pull interval ≥ 1 minute?', planFrom: 'Page asked for the plan?', report: 'Run report' });
	// Not for a plan the status page asked for: nobody gets an alert they did not cause.
	addFailWhenUsersFail(w, 'Run report', [2800, 360], 'the run report', `$('${STATUS_WEBHOOK}').isExecuted`);

	// ---------- The per-shard run (called by "Calendars of a shard") ----------
	w.add(sticky('Per-shard area', [
		'## Per-shard run',
		'Called once per shard of sync users by **Calendars of a shard** (**Shard called**), each shard in its own execution — or, with *shardsOnWorkers* (n8n queue mode, or side by side in one n8n), posted by **Jobs on workers** to **Shard posted** (Header Auth: *Shard webhook key*), a job any worker takes: a shard\'s calendars here, its contact folders (**Contact folders job?**) through the contacts step at the top; every node works *Mailboxes at a time* mailboxes at once, and a failing mailbox is reported while the others go on.',
		'**Left:** the lease of each mailbox (Data Table *LN Exchange Sync mailboxes*): a mailbox another execution is syncing is left to it; the cursors and notes of our writes come from the row and go back into it at the end (*leaseMinutes*).',
		'Runs top to bottom: Exchange first, so that LN holds what Exchange brought before LN is compared with Exchange.',
		'**Top:** new events in Exchange → LN appointments, linked back; occurrences of series followed one by one.',
		'**Middle:** LN activities → Exchange events (created, updated, cancelled), then what LN must get back: attendee flags, responses, changes made in Exchange; linked events whose activity was not read are checked in LN one by one.',
		'**Bottom:** one report per user.',
	].join('\n'), [-1220, 460], 1600, 260, 4));
	w.add({ name: 'Shard called', type: 'n8n-nodes-base.executeWorkflowTrigger', typeVersion: 1.1, position: [-1180, 820], parameters: { inputSource: 'passthrough' } });
	w.add({
		name: 'Shard posted',
		type: 'n8n-nodes-base.webhook',
		typeVersion: 2,
		position: [-1180, 1000],
		webhookId: '2b7e9d41-6c3a-4f0e-8d25-9a1c7e4b3f06',
		credentials: CREDENTIALS.shardKey,
		parameters: { httpMethod: 'POST', path: SHARD_WEBHOOK_PATH, authentication: 'headerAuth', responseMode: 'lastNode', responseData: 'allEntries', options: {} },
	});
	w.add(splitOut('Users of the shard', [-940, 1000], 'body.users'));
	w.add({ name: SHARD_START, type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [-700, 900], parameters: {} });
	w.add(ifNode('Contact folders job?', [-700, 1100], `={{ $('Shard posted').first().json.body.${CONTACTS_PART} }}`));
	w.connect('Shard called', SHARD_START).connect('Shard posted', 'Users of the shard').connect('Users of the shard', 'Contact folders job?');
	w.connect('Contact folders job?', CONTACT_FOLDERS, 0).connect('Contact folders job?', SHARD_START, 1);
	// A job that wrote contact folders answers with one report per user of it (their folders' lines,
	// also when LN's contacts could not be read), marked so that the pull does not take it for a calendar run.
	w.add(ifNode('Posted as a job?', [1820, -220], `={{ $('Contact folders job?').isExecuted }}`));
	w.add({
		name: 'Users of the job',
		type: 'n8n-nodes-base.set',
		typeVersion: 3.4,
		position: [2060, -320],
		executeOnce: true,
		parameters: { mode: 'raw', jsonOutput: `={{ JSON.stringify({ users: $('${CONTACT_FOLDERS}').all().map(item => item.json) }) }}`, options: {} },
	});
	w.add(splitOut('One item per user', [2300, -320], 'users'));
	w.add({
		name: 'Contact folder reports',
		type: ours('inforLn'),
		typeVersion: 1,
		position: [2540, -320],
		credentials: CREDENTIALS.ln,
		parameters: { resource: 'report', operation: 'build', scope: 'user', mailbox: '={{ $json.email }}', user: '={{ $json.user }}' },
	});
	w.add(setNode('Marked as contact folders', [2780, -320], { part: 'contacts' }, true));
	w.connect('Contacts → Exchange folders', 'Posted as a job?').connect('LN contacts', 'Posted as a job?', 1);
	w.connect('Posted as a job?', 'Users of the job', 0).connect('Users of the job', 'One item per user').connect('One item per user', 'Contact folder reports').connect('Contact folder reports', 'Marked as contact folders');
	addMailboxLeases(w, {
		start: SHARD_START,
		at: [-460, 900],
		leaseMinutes: `$('${SHARD_START}').first().json.settings.leaseMinutes`,
		mailbox: `$('${SHARD_START}').item.json.email`,
		users: `={{ $('${SHARD_START}').all().map(item => item.json) }}`,
		load: USERS_TO_SYNC,
	});
	// No Data Tables: every user goes on, the state in the workflow's static data.
	w.connect(DATA_TABLES_HERE, USERS_TO_SYNC, 1);

	w.add({
		name: 'LN activities of users',
		type: ours('inforLn'),
		typeVersion: 1,
		position: [460, 1180],
		credentials: CREDENTIALS.ln,
		// A user whose read failed gets an error item: that calendar waits, the others go on.
		onError: 'continueRegularOutput',
		// One item per user (its activities in a list): the next node resolves its parameters per user, not per activity.
		parameters: { resource: 'activity', operation: 'getManyForSync', employee: '={{ $json.employee }}', horizonDays: '={{ $json.settings.horizonDays }}', output: 'perInput' },
	});
	w.add({
		name: 'LN activities → Exchange',
		type: ours('microsoftExchange'),
		typeVersion: 1,
		position: [720, 1180],
		credentials: CREDENTIALS.graph,
		onError: 'continueRegularOutput',
		parameters: {
			resource: 'event',
			operation: 'syncFromLnActivity',
			target: 'mailbox',
			mailbox: mailboxOfUser,
			company: user('company'),
			syncUsers: syncUsersOfRun,
			complete: true,
			conflictPolicy: setting('conflictPolicy'),
			horizonDays: setting('horizonDays'),
			timeZone: setting('timeZone'),
			brakeShare: setting('brakeShare'),
			mailboxesAtATime: setting('mailboxesAtATime'),
			output: 'changes',
			dryRun: setting('dryRun'),
		},
	});
	w.connect(USERS_TO_SYNC, 'LN activities of users').connect('LN activities of users', 'LN activities → Exchange');
	const checked = addLnCheck(w, 'LN activities → Exchange', [980, 1380], {
		company: "={{ $('Check in LN?').item.json.company }}",
		syncUsers: syncUsersOfRun,
		conflictPolicy: setting('conflictPolicy'),
		horizonDays: setting('horizonDays'),
		timeZone: setting('timeZone'),
		brakeShare: setting('brakeShare'),
		mailboxesAtATime: setting('mailboxesAtATime'),
		dryRun: setting('dryRun'),
	});
	addLnWriteBack(w, ['LN activities → Exchange', checked], [1760, 1180], RUN);

	w.add({
		name: 'Exchange changes of users',
		type: ours('microsoftExchange'),
		typeVersion: 1,
		position: [460, 760],
		credentials: CREDENTIALS.graph,
		onError: 'continueRegularOutput',
		parameters: {
			resource: 'event',
			operation: 'getChanges',
			mailbox: { __rl: true, mode: 'email', value: '={{ $json.email }}' },
			company: '={{ $json.company }}',
			syncUsers: syncUsersOfRun,
			horizonDays: setting('horizonDays'),
			allowPrivate: setting('privateEvents'),
			occurrenceCap: setting('occurrenceCap'),
			mailboxesAtATime: setting('mailboxesAtATime'),
			output: 'actionable',
			dryRun: setting('dryRun'),
		},
	});
	w.connect(USERS_TO_SYNC, 'Exchange changes of users');
	addMailboxRelease(w, [460, 1480], USERS_TO_SYNC);
	addExchangeChangesToLn(w, 'Exchange changes of users', [720, 760], RUN, '={{ $json.mailbox }}');

	w.add({
		name: 'User reports',
		type: ours('inforLn'),
		typeVersion: 1,
		position: [460, 1620],
		credentials: CREDENTIALS.ln,
		parameters: { resource: 'report', operation: 'build', scope: 'user', mailbox: '={{ $json.email }}', user: '={{ $json.user }}' },
	});
	w.connect(SHARD_START, 'User reports');
	// n8n starts the alert workflow when an execution of this one fails.
	return w.build({ errorWorkflow: ALERT_WORKFLOW_ID });
}

/** The node that ends an execution in error when a sync user failed (after its report). */
export const USERS_FAILED_NODE = 'Fail the execution';

/**
 * Last, once every user finished and the report is written: a failed user fails the execution, so
 * n8n's failed-execution list, the error workflow and n8n's metrics count it (setting failWhenUsersFail).
 */
export function addFailWhenUsersFail(w: WorkflowBuilder, reportNode: string, at: [number, number], reportName: string, unless?: string): void {
	const [x, y] = at;
	w.add(ifNode('Anyone failed?', [x, y], `={{ $json.kind === 'total' && Boolean($json.failures) && $('Settings').first().json.failWhenUsersFail !== false${unless ? ` && !(${unless})` : ''} }}`));
	w.add(stopNode(USERS_FAILED_NODE, [x + 260, y - 20], `={{ $json.failures }} (${reportName} is the output of "${reportNode}")`));
	w.connect(reportNode, 'Anyone failed?').connect('Anyone failed?', USERS_FAILED_NODE, 0);
}

/**
 * Linked events whose activity was not among those read (moved out of the window, gone, or no longer
 * the mailbox's): each activity is read from LN on its own and planned again, so that a record that
 * left the window is never taken for a deletion. Returns the node that plans them.
 */
export function addLnCheck(w: WorkflowBuilder, syncNode: string, at: [number, number], parameters: Record<string, unknown>): string {
	const [x, y] = at;
	w.add(ifNode('Check in LN?', [x, y], "={{ $json.action === 'verify' }}"));
	w.add({
		name: 'LN: activity to check',
		type: ours('inforLn'),
		typeVersion: 1,
		position: [x + 260, y],
		credentials: CREDENTIALS.ln,
		onError: 'continueRegularOutput',
		parameters: { resource: 'activity', operation: 'get', activityId: '={{ $json.activity }}', notFound: 'marker' },
	});
	w.add({
		name: 'Checked activity → Exchange',
		type: ours('microsoftExchange'),
		typeVersion: 1,
		position: [x + 520, y],
		credentials: CREDENTIALS.graph,
		onError: 'continueRegularOutput',
		parameters: {
			resource: 'event',
			operation: 'syncFromLnActivity',
			target: 'mailbox',
			mailbox: { __rl: true, mode: 'email', value: "={{ $('Check in LN?').item.json.mailbox }}" },
			complete: false,
			// The steps after it need only what changed (the report reads the run's ledger).
			output: 'changes',
			...parameters,
		},
	});
	w.connect(syncNode, 'Check in LN?').connect('Check in LN?', 'LN: activity to check', 0).connect('LN: activity to check', 'Checked activity → Exchange');
	return 'Checked activity → Exchange';
}

/** Expressions the write-back nodes of a workflow share (pull and push). */
export interface RunParameters {
	dryRun: string;
	syncUsers: string;
	/** "Mailboxes at a Time" of the Exchange write nodes; the node's default when absent. */
	mailboxesAtATime?: string;
}

/**
 * What LN must get after "Sync From LN Activity": attendee flags, attendance statuses, and changes
 * made in Exchange (then the new state is linked on the event). Shared by pull and push, and by
 * every sync node that feeds it.
 */
export function addLnWriteBack(w: WorkflowBuilder, syncNodes: string[], at: [number, number], run: RunParameters): void {
	const { dryRun, syncUsers } = run;
	const [x, y] = at;
	w.add(splitOut('Flags to write', [x, y - 140], 'flags'));
	w.add({
		name: 'LN: attendee flags',
		type: ours('inforLn'),
		typeVersion: 1,
		position: [x + 260, y - 140],
		credentials: CREDENTIALS.ln,
		onError: 'continueRegularOutput',
		parameters: {
			resource: 'attendee',
			operation: 'updateSyncFlags',
			activityId: '={{ $json.activity }}',
			sequence: '={{ $json.sequence }}',
			sentToSynchronizer: "={{ $json.sentToSynchronizer === undefined ? 'unchanged' : ($json.sentToSynchronizer ? 'yes' : 'no') }}",
			synchronized: "={{ $json.synchronized === undefined ? 'unchanged' : ($json.synchronized ? 'yes' : 'no') }}",
			etag: "={{ $json.etag ?? '' }}",
			dryRun,
		},
	});
	w.add(splitOut('Responses to write', [x, y], 'attendance'));
	w.add({
		name: 'LN: attendance status',
		type: ours('inforLn'),
		typeVersion: 1,
		position: [x + 260, y],
		credentials: CREDENTIALS.ln,
		onError: 'continueRegularOutput',
		parameters: { resource: 'attendee', operation: 'updateAttendanceStatus', activityId: '={{ $json.activity }}', sequence: '={{ $json.sequence }}', status: '={{ $json.status }}', etag: '', dryRun },
	});
	w.add(ifNode('LN must change?', [x, y + 140], '={{ $json.update !== undefined && $json.update !== null }}'));
	w.add(updateActivityNode('LN: update activity', [x + 260, y + 140], syncUsers, dryRun));
	w.add(ifNode('Link to store?', [x + 520, y + 140], '={{ $json.link !== undefined && $json.link !== null && !$json.error }}'));
	w.add({
		name: 'Exchange: store link',
		type: ours('microsoftExchange'),
		typeVersion: 1,
		position: [x + 780, y + 120],
		credentials: CREDENTIALS.graph,
		onError: 'continueRegularOutput',
		parameters: {
			resource: 'event',
			operation: 'linkToLnActivity',
			linkAction: 'link',
			mailbox: { __rl: true, mode: 'email', value: '={{ $json.link.mailbox }}' },
			eventId: '={{ $json.link.eventId }}',
			seriesMasterId: '',
			iCalUId: '={{ $json.link.iCalUId }}',
			company: '={{ $json.link.company }}',
			activity: '={{ $json.link.activity }}',
			hash: '={{ $json.link.state.hash }}',
			origin: '={{ $json.link.state.origin }}',
			...atATime(run),
			dryRun,
		},
	});
	for (const syncNode of syncNodes) {
		w.connect(syncNode, 'Flags to write').connect(syncNode, 'Responses to write').connect(syncNode, 'LN must change?');
	}
	w.connect('Flags to write', 'LN: attendee flags');
	w.connect('Responses to write', 'LN: attendance status');
	w.connect('LN must change?', 'LN: update activity');
	w.connect('LN: update activity', 'Link to store?').connect('Link to store?', 'Exchange: store link');
}

/** New Exchange events → LN appointments (then linked); occurrence changes → LN updates. */
export function addExchangeChangesToLn(
	w: WorkflowBuilder,
	changesNode: string,
	at: [number, number],
	run: RunParameters,
	mailbox: string,
	changesOutput = 0,
): void {
	const { dryRun, syncUsers } = run;
	const [x, y] = at;
	w.add(switchNode('What changed?', [x, y], '={{ $json.action }}', [
		{ value: 'createInLn', output: 'New in Exchange' },
		{ value: 'updateLn', output: 'Occurrence changed' },
		{ value: 'cancelInLn', output: 'Occurrence gone' },
	]));
	w.add({
		name: 'LN: create appointment',
		type: ours('inforLn'),
		typeVersion: 1,
		position: [x + 260, y - 140],
		credentials: CREDENTIALS.ln,
		// Failures (a refused or failed write) leave by the error output: only what LN took is linked.
		onError: 'continueErrorOutput',
		parameters: { resource: 'appointment', operation: 'create', appointment: '={{ $json.appointment }}', mailbox: mailbox, syncUsers, updateIfExists: true, dryRun },
	});
	w.add(linkNode('Exchange: link appointment', [x + 520, y - 140], 'link', run, '$json'));
	w.add(updateActivityNode('LN: update from occurrence', [x + 260, y], syncUsers, dryRun));
	w.add(linkNode('Exchange: link occurrence', [x + 520, y], 'link', run, "$('What changed?').item.json"));
	w.add(updateActivityNode('LN: cancel from occurrence', [x + 260, y + 140], syncUsers, dryRun));
	w.add(linkNode('Exchange: unlink occurrence', [x + 520, y + 140], 'unlink', run, "$('What changed?').item.json"));
	w.connect(changesNode, 'What changed?', changesOutput);
	w.connect('What changed?', 'LN: create appointment', 0).connect('LN: create appointment', 'Exchange: link appointment');
	w.connect('What changed?', 'LN: update from occurrence', 1).connect('LN: update from occurrence', 'Exchange: link occurrence');
	w.connect('What changed?', 'LN: cancel from occurrence', 2).connect('LN: cancel from occurrence', 'Exchange: unlink occurrence');
}

const atATime = (run: RunParameters) => (run.mailboxesAtATime ? { mailboxesAtATime: run.mailboxesAtATime } : {});

/** Writes the LN changes a sync node decided (`$json.update`) to the activity. */
function updateActivityNode(name: string, position: [number, number], syncUsers: string, dryRun: string) {
	return {
		name,
		type: ours('inforLn'),
		typeVersion: 1,
		position,
		credentials: CREDENTIALS.ln,
		onError: 'continueErrorOutput' as const,
		parameters: { resource: 'activity', operation: 'update', activityId: '={{ $json.update.activity }}', changes: '={{ $json.update }}', syncUsers, dryRun },
	};
}

/** Link or unlink an event from the fields of a change item (`source` is an expression for it). */
function linkNode(name: string, position: [number, number], linkAction: 'link' | 'unlink', run: RunParameters, source: string) {
	return {
		name,
		type: ours('microsoftExchange'),
		typeVersion: 1,
		position,
		credentials: CREDENTIALS.graph,
		onError: 'continueRegularOutput' as const,
		parameters: {
			resource: 'event',
			operation: 'linkToLnActivity',
			linkAction,
			mailbox: { __rl: true, mode: 'email', value: `={{ ${source}.mailbox }}` },
			eventId: `={{ ${source}.eventId }}`,
			seriesMasterId: `={{ ${source}.seriesMasterId ?? '' }}`,
			iCalUId: `={{ ${source}.iCalUId ?? '' }}`,
			company: `={{ ${source}.company }}`,
			activity: linkAction === 'link' && source === '$json' ? '={{ $json.activity }}' : `={{ ${source}.activity }}`,
			hash: `={{ ${source}.hash ?? '' }}`,
			// An appointment LN took from the event says where it came from; occurrence links are Exchange's.
			origin: source === '$json' ? '={{ $json.linkOrigin }}' : 'exchange',
			...atATime(run),
			dryRun: run.dryRun,
		},
	};
}
