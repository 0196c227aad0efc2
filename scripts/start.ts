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
 *
 * `npm start -- --queue`: the same in n8n's queue mode — Redis and Postgres (installed from Debian's
 * packages when missing, run on loopback ports in the instance's folder), n8n main plus 2 workers;
 * the pull posts its shards (one per sync user here) to its shard webhook, and the output says which
 * worker ran which shard. Ctrl-C stops all of it.
 */
import * as path from 'node:path';

import { startEmulators, type RunningEmulators } from '../test/emulators/cli';
import { ensureN8n, N8N_2, PROJECT_DIR } from './n8n/install';
import { freePort, N8nInstance, portIsFree, type Owner } from './n8n/instance';
import { buildAndPack } from './n8n/package';
import { ALERT_ID, importPullWith, LN_WEBHOOK_HEADER, LN_WEBHOOK_PATH, provision, PULL_ID, PUSH_ID, STATUS_PAGE_PATH, statusLogin } from './n8n/provision';
import { startQueueBackends, workersOf, type N8nWorker, type QueueBackends } from './n8n/queue';
import { formatReport, type ReportItem } from './n8n/report';
import { runPullInN8n, subscribeSyncUsers } from './n8n/sync';

/** n8n's port: 5678 as usual (or N8N_PORT), another free one when it is taken. */
const PREFERRED_PORT = Number(process.env.N8N_PORT ?? 5678);
export const DEMO_OWNER: Owner = { email: 'admin@example.com', password: 'LnExchange-Demo1', firstName: 'Demo', lastName: 'Admin' };

const say = (line: string) => process.stdout.write(`${line}\n`);
const step = (line: string) => say(`▸ ${line}`);

const QUEUE = process.argv.includes('--queue');
const WORKERS = 2;

async function main(): Promise<void> {
	const started = Date.now();
	let emulators: RunningEmulators | undefined;
	let instance: N8nInstance | undefined;
	let backends: QueueBackends | undefined;
	const workers: N8nWorker[] = [];
	let stopping = false;
	const stopAll = async (code: number) => {
		if (stopping) return;
		stopping = true;
		say(`\n▸ stopping n8n${QUEUE ? ', its workers, Redis, Postgres' : ''} and the emulators`);
		for (const worker of workers) await worker.stop().catch(() => {});
		await instance?.stop().catch(() => {});
		await backends?.stop().catch(() => {});
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
		let env: Record<string, string> | undefined;
		if (QUEUE) {
			step('queue mode: Redis and Postgres');
			backends = await startQueueBackends(path.join(install.dir, 'instances', 'start-queue-backends'), (line) => say(`  ${line}`));
			env = backends.n8nEnv;
			say(`  Redis on 127.0.0.1:${backends.ports.redis}, Postgres on 127.0.0.1:${backends.ports.postgres} (${path.relative(PROJECT_DIR, backends.dir)})`);
		}
		// Queue mode keeps its data in Postgres: a user folder of its own (fresh, like its database).
		instance = new N8nInstance({ install, name: QUEUE ? 'start-queue' : 'start', port, brokerPorts: [await freePort(), await freePort()], env, fresh: QUEUE });
		say(`  user folder ${path.relative(PROJECT_DIR, instance.userFolder)}`);

		step('installing the package, importing credentials and workflows');
		const secret = await provision(instance, { tarball, env: emulators.env, log: (line) => say(`  ${line}`) });
		if (QUEUE) {
			await importPullWith(instance, { shardsOnWorkers: true, usersPerShard: 1 });
			say('  pull settings: shardsOnWorkers = true, usersPerShard = 1 (one job per sync user)');
		}

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
		if (QUEUE) workers.push(...(await workersOf(instance, WORKERS)));
		for (const worker of workers) {
			await worker.start();
			say(`  ${worker.name} ready (log ${path.relative(PROJECT_DIR, worker.logFile)})`);
		}
		const owner = await instance.ensureOwner(DEMO_OWNER);

		// Inside n8n, as the schedule runs it ("Run now"), so that its history is kept for the status page.
		step(`pull sync (workflow ${PULL_ID}, "Run now")`);
		await instance.login(DEMO_OWNER);
		const pull = await runPullInN8n(instance);
		say(formatReport(pull.report as ReportItem[]));
		say(pull.failed ? `pull sync done; the execution ended in error, as it does when a user failed: ${pull.failed}` : 'pull sync done');
		if (QUEUE) {
			say(`  ${pull.execution.output('One item per job').length} jobs posted to the shard webhook (each shard's contact folders and calendars); n8n's workers took them:`);
			await sayShardsOfWorkers(instance, workers);
		}

		step(`push: Graph subscriptions for the sync users (n8n execute --id ${PUSH_ID}, "Run now")`);
		const subscriptions = await subscribeSyncUsers(instance);
		say(`  ${subscriptions.map((s) => `${s.mailbox} ${s.action}`).join(', ')}`);

		say('');
		say(`n8n ${instance.version} is up (${Math.round((Date.now() - started) / 1000)} s): ${instance.url}/`);
		say(`  login: ${DEMO_OWNER.email} / ${DEMO_OWNER.password}${owner === 'created' ? ' (new owner account)' : ''}`);
		const login = statusLogin(instance);
		say(`  status page: ${instance.url}/webhook/${STATUS_PAGE_PATH} (login ${login.user} / ${login.password}; add ?plan=1 for the plan of the next run)`);
		say(`  LN push: POST ${instance.url}/webhook/${LN_WEBHOOK_PATH} with ${LN_WEBHOOK_HEADER}: ${secret}`);
		say(`  n8n's log: ${path.relative(PROJECT_DIR, instance.logFile)}; Ctrl-C stops n8n${QUEUE ? ', its workers, Redis, Postgres' : ''} and the emulators.`);
	} catch (error) {
		process.stderr.write(`\nnpm start failed: ${(error as Error)?.message ?? error}\n`);
		await stopAll(1);
	}
}

/** Which worker ran which shard: each worker's executions that the shard webhook started, with their users. */
async function sayShardsOfWorkers(instance: N8nInstance, workers: N8nWorker[]): Promise<void> {
	for (const worker of workers) {
		for (const id of worker.executions()) {
			const execution = await instance.finishedExecution(id).catch(() => undefined);
			const users = execution?.output('Users of the shard').map((user) => String(user.email));
			const part = execution?.output('Contact folders job?', 0).length ? 'contact folders' : 'calendars';
			if (users?.length) say(`  ${worker.name} ran the ${part} of ${users.join(', ')} (execution ${id})`);
		}
	}
}

void main();
