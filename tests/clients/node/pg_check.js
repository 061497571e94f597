// node-postgres through pgtally: parameterized queries, a named prepared query executed many
// times, a transaction rolled back, an error, and concurrent queries on a pg.Pool
// (Promise.all). Connection parameters come from PGHOST, PGPORT, PGUSER, PGPASSWORD and
// PGDATABASE. Prints deterministic lines; exits non-zero on anything unexpected.
'use strict';

const pg = require('pg');

const SCHEMA = 'clients_node';

async function main() {
  const client = new pg.Client({ application_name: 'pgtally-node-check' });
  await client.connect();
  await client.query('SET client_min_messages = warning');
  await client.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  await client.query(`CREATE SCHEMA ${SCHEMA}`);
  await client.query(`SET search_path = ${SCHEMA}`);
  await client.query(
    'CREATE TABLE visits (id int PRIMARY KEY, page text NOT NULL, ms numeric(8, 1), meta jsonb)');

  let r = await client.query('SELECT $1::int + 1 AS n, upper($2) AS s, $3::jsonb AS j, $4::text AS nothing',
    [41, 'hello', { a: [1, 2] }, null]);
  console.log('params:', JSON.stringify(r.rows));

  for (let i = 1; i <= 40; i++) {
    await client.query('INSERT INTO visits VALUES ($1, $2, $3, $4)',
      [i, `/page/${i % 5}`, (i * 1.5).toFixed(1), JSON.stringify({ i })]);
  }
  r = await client.query('SELECT count(*) AS c, sum(ms) AS total FROM visits');
  console.log('inserted:', JSON.stringify(r.rows));

  // A named prepared query: parsed once on the server, then Bind/Execute only.
  const lines = [];
  for (let i = 1; i <= 15; i++) {
    r = await client.query({
      name: 'visit_by_id',
      text: 'SELECT id, page, ms, meta FROM visits WHERE id = $1',
      values: [i],
    });
    lines.push(JSON.stringify(r.rows[0]));
  }
  console.log('prepared:\n' + lines.join('\n'));
  r = await client.query(
    "SELECT count(*)::int AS c FROM pg_prepared_statements WHERE name = 'visit_by_id'");
  console.log('named statements on the server:', r.rows[0].c);

  // A transaction rolled back, then one committed.
  await client.query('BEGIN');
  await client.query('DELETE FROM visits WHERE id > 10');
  r = await client.query('SELECT count(*)::int AS c FROM visits');
  console.log('inside:', r.rows[0].c);
  await client.query('ROLLBACK');
  r = await client.query('SELECT count(*)::int AS c FROM visits');
  console.log('after rollback:', r.rows[0].c);
  await client.query('BEGIN');
  await client.query("UPDATE visits SET page = '/home' WHERE id <= 3");
  await client.query('COMMIT');
  r = await client.query("SELECT count(*)::int AS c FROM visits WHERE page = '/home'");
  console.log('committed:', r.rows[0].c);

  // An error, then the connection still works.
  try {
    await client.query('INSERT INTO visits (id, page) VALUES ($1, $2)', [1, 'again']);
    console.log('unexpected: duplicate insert succeeded');
    process.exitCode = 1;
  } catch (e) {
    console.log('error:', e.code, e.constraint);
  }
  r = await client.query('SELECT count(*)::int AS c FROM visits');
  console.log('after error:', r.rows[0].c);

  // Concurrent queries on a pool: more queries than connections, all at once.
  const pool = new pg.Pool({ max: 4, application_name: 'pgtally-node-pool' });
  const results = await Promise.all(Array.from({ length: 24 }, (_, i) =>
    pool.query(`SELECT $1::int AS i, count(*)::int AS c FROM ${SCHEMA}.visits WHERE id <= $1`,
      [i + 1])));
  console.log('pool:', results.map((res) => `${res.rows[0].i}=${res.rows[0].c}`).join(' '));
  const inTransactions = await Promise.all(Array.from({ length: 8 }, async (_, i) => {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      await c.query(`UPDATE ${SCHEMA}.visits SET ms = ms + 1 WHERE id = $1`, [i + 1]);
      const one = await c.query(`SELECT ms FROM ${SCHEMA}.visits WHERE id = $1`, [i + 1]);
      await c.query('COMMIT');
      return one.rows[0].ms;
    } finally {
      c.release();
    }
  }));
  console.log('pool transactions:', inTransactions.join(' '));
  await pool.end();

  await client.query(`DROP SCHEMA ${SCHEMA} CASCADE`);
  await client.end();
  console.log('done');
}

main().catch((e) => {
  console.error('unexpected failure:', e);
  process.exit(1);
});
