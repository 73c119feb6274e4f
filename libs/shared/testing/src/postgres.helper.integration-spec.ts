import { Client } from 'pg';
import { freePort } from './free-port.helper';
import { assertPostgresReachable, testDatabaseUrl } from './postgres.helper';

describe('PostgreSQL test helpers against the real server', () => {
  it('reaches the test database', async () => {
    await assertPostgresReachable();
    const client = new Client({ connectionString: testDatabaseUrl() });
    await client.connect();
    const { rows } = await client.query<{ db: string }>('select current_database() as db');
    await client.end();
    expect(rows[0].db).toBe(new URL(testDatabaseUrl()).pathname.slice(1));
  });

  it('reports an unreachable server with the address (password masked) and how to start it', async () => {
    const port = await freePort();
    await expect(assertPostgresReachable(`postgresql://postgres:pw@127.0.0.1:${port}/x`, 2_000)).rejects.toThrow(
      `PostgreSQL is not reachable at postgresql://postgres:***@127.0.0.1:${port}/x; run the tests with \`npm test\`, which starts it`,
    );
  });
});
