/**
 * `npm start`: a real n8n with this package, both emulators with a demo tenant, one pull run, the
 * editor. Run through `node scripts/tls.js tsx scripts/start.ts` (the emulators' certificate).
 *
 *   1. builds and packs the package;
 *   2. starts the LN and Graph emulators with the demo tenant;
 *   3. installs n8n 2.x and the Node 24 it needs into .cache/ (once);
 *   4. installs the tarball into n8n's community packages folder, imports the credentials (pointed at
 *      the emulators) and the shipped workflows (same ids: a re-run overwrites);
 *   5. activates (publishes) both workflows, starts n8n with WEBHOOK_URL pointing at itself and
 *      creates the owner account;
 *   6. runs the pull sync once inside n8n (its "Run now" trigger, as the editor does) and prints its
 *      report;
 *   7. runs the push workflow's maintenance path ("Run now": Graph subscriptions for the sync
 *      users), prints the editor URL and the login, the status page URL and its login, and stays up
 *      until Ctrl-C.
 */
import * as path from 'node:path';

import { startEmulators, type RunningEmulators } from '../test/emulators/cli';
import { ensureN8n, N8N_2, PROJECT_DIR } from './n8n/install';
import { freePort, N8nInstance, portIsFree, type Owner } from './n8n/instance';
import { buildAndPack } from './n8n/package';
import { ALERT_ID, LN_WEBHOOK_HEADER, LN_WEBHOOK_PATH, provision, PULL_ID, PUSH_ID, STATUS_PAGE_PATH, statusLogin } from './n8n/provision';
import { formatReport, type ReportItem } from './n8n/report';
import { runPullInN8n, subscribeSyncUsers } from './n8n/sync';

/** n8n's port: 5678 as usual (or N8N_PORT), another free one when it is taken. */
const PREFERRED_PORT = Number(process.env.N8N_PORT ?? 5678);
export const DEMO_OWNER: Owner = { email: 'admin@example.com', password: 'LnExchange-Demo1', firstName: 'Demo', lastName: 'Admin' };

const say = (line: string) => process.stdout.write(`${line}\n`);
const step = (line: string) => say(`▸ ${line}`);

async function main(): Promise<void> {
	const started = Date.now();
	let emulators: RunningEmulators | undefined;
	let instance: N8nInstance | undefined;
	let stopping = false;
	const stopAll = async (code: number) => {
		if (stopping) return;
		stopping = true;
		say('\n▸ stopping n8n and the emulators');
		await instance?.stop().catch(() => {});
		await emulators?.stop().catch(() => {});
		process.exit(code);
	};
	process.on('SIGINT', () => void stopAll(0));
	process.on('SIGTERM', () => void stopAll(0));

	try {
		step('building and packing the package');
		const tarball = await buildAndPack();

		step('starting the LN and Graph emulators (demo tenant)');
		// The usual ports (those of `npm run emulators`), or free ones when they are taken.
		emulators = await startEmulators().catch(async (error) => {
			if ((error as NodeJS.ErrnoException)?.code !== 'EADDRINUSE') throw error;
			return await startEmulators({ lnPort: 0, graphPort: 0 });
		});
		const s = emulators.tenant.summary;
		say(`  LN ${emulators.env.LN_ION_API_URL}, Graph ${emulators.env.GRAPH_BASE_URL}: ${s.users.sync} sync users, ${s.contacts.total} contacts, ${s.activities.total} activities, ${s.events.total} events`);

		step(`n8n ${N8N_2.n8n} on Node ${N8N_2.node}`);
		const install = await ensureN8n(N8N_2, (line) => say(`  ${line}`));
		if (!install.installSeconds) say(`  reusing ${path.relative(PROJECT_DIR, install.dir)}`);
		const port = (await portIsFree(PREFERRED_PORT)) ? PREFERRED_PORT : await freePort();
		instance = new N8nInstance({ install, name: 'start', port, brokerPorts: [await freePort(), await freePort()] });
		say(`  user folder ${path.relative(PROJECT_DIR, instance.userFolder)}`);

		step('installing the package, importing credentials and workflows');
		const secret = await provision(instance, { tarball, env: emulators.env, log: (line) => say(`  ${line}`) });

		// Both workflows are activated (published) before n8n starts, as a user activates them. The
		// pull runs each user's calendar as a sub-execution of itself (Execute Workflow by
		// $workflow.id), and n8n 2.x runs sub-workflows only from the version a running n8n has
		// published ("Workflow is not active and cannot be executed" otherwise): so the pull runs once
		// n8n is up, with `n8n execute` beside it.
		step(`activating the pull, push and alert workflows, starting n8n on port ${port}`);
		await instance.activateWorkflow(PULL_ID);
		await instance.activateWorkflow(PUSH_ID);
		// n8n 2.x runs an error workflow only from its published version.
		await instance.activateWorkflow(ALERT_ID);
		await instance.start();
		const owner = await instance.ensureOwner(DEMO_OWNER);

		// Inside n8n, as the schedule runs it ("Run now"), so that its history is kept for the status page.
		step(`pull sync (workflow ${PULL_ID}, "Run now")`);
		await instance.login(DEMO_OWNER);
		const pull = await runPullInN8n(instance);
		say(formatReport(pull.report as ReportItem[]));
		say(pull.failed ? `pull sync done; the execution ended in error, as it does when a user failed: ${pull.failed}` : 'pull sync done');

		step(`push: Graph subscriptions for the sync users (n8n execute --id ${PUSH_ID}, "Run now")`);
		const subscriptions = await subscribeSyncUsers(instance);
		say(`  ${subscriptions.map((s) => `${s.mailbox} ${s.action}`).join(', ')}`);

		say('');
		say(`n8n ${instance.version} is up (${Math.round((Date.now() - started) / 1000)} s): ${instance.url}/`);
		say(`  login: ${DEMO_OWNER.email} / ${DEMO_OWNER.password}${owner === 'created' ? ' (new owner account)' : ''}`);
		const login = statusLogin(instance);
		say(`  status page: ${instance.url}/webhook/${STATUS_PAGE_PATH} (login ${login.user} / ${login.password}; add ?plan=1 for the plan of the next run)`);
		say(`  LN push: POST ${instance.url}/webhook/${LN_WEBHOOK_PATH} with ${LN_WEBHOOK_HEADER}: ${secret}`);
		say(`  n8n's log: ${path.relative(PROJECT_DIR, instance.logFile)}; Ctrl-C stops n8n and the emulators.`);
	} catch (error) {
		process.stderr.write(`\nnpm start failed: ${(error as Error)?.message ?? error}\n`);
		await stopAll(1);
	}
}

void main();
