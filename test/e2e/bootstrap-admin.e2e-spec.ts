import { DataSource } from 'typeorm';

import { login } from '../factories/users';
import { useTestDatabase } from '../utils/database';
import { createTestApp, type TestApp } from '../utils/test-app';
import { START_TIMEOUT_MS } from '../utils/test-env';

// Tests here start up to four apps each (the starts are what is tested): 5 s is too tight on
// a loaded box.
jest.setTimeout(START_TIMEOUT_MS);

describe('first admin from BOOTSTRAP_ADMIN_EMAIL / BOOTSTRAP_ADMIN_PASSWORD', () => {
  const db = useTestDatabase();
  // The apps start inside the tests (their starts are what is tested): closed before the drop.
  const apps: TestApp[] = [];
  db.adopt({ close: () => Promise.all(apps.map((app) => app.close())).then(() => undefined) });
  const env = {
    BOOTSTRAP_ADMIN_EMAIL: ' Root@Example.com ',
    BOOTSTRAP_ADMIN_PASSWORD: 'bootstrap password',
  };

  it('creates exactly one admin when three processes start at once', async () => {
    // Migrate first so the three starts race on the admin, not on the schema.
    apps.push(await createTestApp({ DATABASE_URL: db.url }));
    apps.push(
      ...(await Promise.all([1, 2, 3].map(() => createTestApp({ DATABASE_URL: db.url, ...env })))),
    );
    const rows: Array<{ email: string }> = await apps[0]!.app
      .get(DataSource)
      .query("SELECT email FROM users WHERE role = 'admin'");
    expect(rows).toEqual([{ email: 'root@example.com' }]);
  });

  it('lets that admin log in and use admin routes', async () => {
    const tokens = await login(apps[1]!.http, 'root@example.com', 'bootstrap password');
    const res = await apps[2]!.http
      .get('/api/v1/users')
      .set('Authorization', `Bearer ${tokens.accessToken}`);
    expect(res.status).toBe(200);
    expect((res.body.data as Array<{ email: string; role: string }>)[0]).toMatchObject({
      email: 'root@example.com',
      role: 'admin',
    });
  });

  it('does nothing once an admin exists, even with other credentials', async () => {
    const again = await createTestApp({
      DATABASE_URL: db.url,
      BOOTSTRAP_ADMIN_EMAIL: 'second@example.com',
      BOOTSTRAP_ADMIN_PASSWORD: 'another password',
    });
    apps.push(again);
    const rows: Array<{ n: string }> = await again.app
      .get(DataSource)
      .query("SELECT count(*) AS n FROM users WHERE role = 'admin'");
    expect(Number(rows[0]?.n)).toBe(1);
    expect(again.logs.lines.find((l) => l.msg === 'Bootstrap admin')).toMatchObject({
      outcome: 'admin-exists',
    });
  });
});
