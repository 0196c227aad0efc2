import { startEnvironment, ourNode, runNode, type Environment } from '../harness/environment';

let env: Environment;
beforeAll(async () => {
	env = await startEnvironment({
		lnSeed: {
			companies: {
				'100': {
					syncUsers: [
						{ User: 'ann', Name: 'Ann', Email: 'ann@contoso.com', Active: 'Yes', Employee: 'E001', EmployeeEmail: 'ann@contoso.com' },
						{ User: 'old', Name: 'Old', Email: 'old@contoso.com', Active: 'No', Employee: 'E009', EmployeeEmail: 'old@contoso.com' },
					],
				},
			},
		},
		graphSeed: { users: [{ mail: 'ann@contoso.com', displayName: 'Ann' }] },
	});
});
afterAll(() => env.stop());

it('runs a node of ours in-process against the emulators', async () => {
	const result = await runNode(env, ourNode('inforLn', { resource: 'syncUser', operation: 'getMany', source: 'api' }));
	expect(result.error).toBeUndefined();
	expect(result.items.map((i) => i.json.user)).toEqual(['ann']);
});
