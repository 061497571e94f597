// Parents whose keys are hard to reach, on node-postgres's pg.Pool:
// - streamed: each request reads a list of posts through pg-cursor, a few rows at a time
//   (Execute with a row limit, PortalSuspended, no Sync until the cursor closes), and looks rows
//   up while the cursor is still open, on the pool's other connections. /posts-cursor looks up
//   each row's comments (an N+1 whose parent has not completed), /posts-cursor-batch each part's
//   comments at once (no N+1);
// - held in a jsonb document: a post's `meta` lists related posts. /post-related opens each of
//   them (an N+1 keyed by array elements inside the document), /post-related-batch loads them
//   at once (no N+1);
// - browsed: /posts-list shows a blog's posts, and the same user's next three requests each open
//   one of them (/post-detail) with no pause, in a reader's order: no N+1, though every key
//   came from the list.
// Every query carries a sqlcommenter request_id and route: the ground truth pgtally ignores
// under --ignore-tags.
//
// Usage: node cursor_json_corpus.js USERS POOL REQUESTS_PER_USER (POOL > USERS: a cursor holds
// its connection while the lookups need another). Connection from PGHOST, PGPORT, PGUSER,
// PGPASSWORD, PGDATABASE. Prints `request ID ROUTE STATEMENTS` per request, then
// `requests: N` and `statements: N`; exits non-zero on any error.
'use strict';

const pg = require('pg');
const Cursor = require('pg-cursor');

const SCHEMA = 'cursor_json_corpus';
const BLOGS = 4;
const POSTS_PER_BLOG = 12;
const BATCH = 4;

function comment(id, route) {
  return ` /*request_id='${id}',route='${encodeURIComponent(route)}'*/`;
}

// Streams the blog's posts through a cursor on a client of its own, calling `each(rows)` per
// batch while the cursor stays open.
async function streamPosts(pool, tag, blog, each) {
  const client = await pool.connect();
  try {
    const cursor = client.query(new Cursor(
      `SELECT id, title FROM posts WHERE blog_id = $1 ORDER BY id${tag}`, [blog]));
    for (;;) {
      const rows = await cursor.read(BATCH);
      if (rows.length === 0) break;
      await each(rows);
    }
    await cursor.close();
  } finally {
    client.release();
  }
}

const routes = {
  async '/posts-list'(pool, tag, n, count, session) {
    const { rows } = await pool.query(
      `SELECT id, title FROM posts WHERE blog_id = $1 ORDER BY id${tag}`, [1 + (n % BLOGS)]);
    count.statements += 1;
    session.toOpen = [7, 2, 10].map((i) => rows[i].id);
  },
  async '/post-detail'(pool, tag, n, count, session) {
    count.statements += 1;
    await pool.query(`SELECT id, blog_id, title FROM posts WHERE id = $1${tag}`,
      [session.toOpen.shift()]);
  },
  async '/posts-cursor'(pool, tag, n, count) {
    await streamPosts(pool, tag, 1 + (n % BLOGS), async (rows) => {
      count.statements += 1;  // each Execute of the cursor is a statement on the wire
      for (const p of rows) {
        count.statements += 1;
        await pool.query(`SELECT id, body FROM comments WHERE post_id = $1${tag}`, [p.id]);
      }
    });
    count.statements += 1;  // the last Execute, which returns no row
  },
  async '/post-related'(pool, tag, n, count) {
    const [post] = (await pool.query(`SELECT id, title, meta FROM posts WHERE id = $1${tag}`,
      [1 + ((n * 5) % (BLOGS * POSTS_PER_BLOG))])).rows;
    count.statements += 1;
    for (const id of post.meta.related) {
      count.statements += 1;
      await pool.query(`SELECT id, title FROM posts WHERE id = $1${tag}`, [id]);
    }
  },
  async '/post-related-batch'(pool, tag, n, count) {
    const [post] = (await pool.query(`SELECT id, title, meta FROM posts WHERE id = $1${tag}`,
      [1 + ((n * 7) % (BLOGS * POSTS_PER_BLOG))])).rows;
    await pool.query(`SELECT id, title FROM posts WHERE id = ANY($1)${tag}`, [post.meta.related]);
    count.statements += 2;
  },
  async '/posts-cursor-batch'(pool, tag, n, count) {
    await streamPosts(pool, tag, 1 + ((n + 1) % BLOGS), async (rows) => {
      count.statements += 2;
      await pool.query(`SELECT id, post_id, body FROM comments WHERE post_id = ANY($1)${tag}`,
        [rows.map((p) => p.id)]);
    });
    count.statements += 1;
  },
};

async function setup(pool) {
  const c = await pool.connect();
  try {
    await c.query('SET client_min_messages = warning');
    await c.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
    await c.query(`CREATE SCHEMA ${SCHEMA}`);
    await c.query(`SET search_path = ${SCHEMA}`);
    await c.query('CREATE TABLE posts (id serial PRIMARY KEY, blog_id int NOT NULL, ' +
      "title text NOT NULL, meta jsonb NOT NULL DEFAULT '{}')");
    await c.query('CREATE TABLE comments (id serial PRIMARY KEY, post_id int NOT NULL ' +
      'REFERENCES posts, body text NOT NULL)');
    await c.query("INSERT INTO posts (blog_id, title) SELECT b, 'post ' || p " +
      `FROM generate_series(1, ${BLOGS}) b, generate_series(1, ${POSTS_PER_BLOG}) p ORDER BY b, p`);
    // Six related posts each, after a field that holds no id.
    const posts = BLOGS * POSTS_PER_BLOG;
    await c.query("UPDATE posts SET meta = jsonb_build_object('theme', 'dark', 'related', " +
      `(SELECT jsonb_agg(1 + (id + k * 7) % ${posts}) FROM generate_series(1, 6) k))`);
    await c.query("INSERT INTO comments (post_id, body) SELECT p.id, 'comment ' || k " +
      'FROM posts p, generate_series(1, 3) k ORDER BY p.id, k');
  } finally {
    c.release();
  }
}

async function main() {
  const [users, poolSize, perUser] = process.argv.slice(2).map((a) => Number(a));
  if (!(users > 0 && poolSize > users && perUser > 0)) {
    console.error('usage: node cursor_json_corpus.js USERS POOL REQUESTS_PER_USER (POOL > USERS)');
    process.exit(2);
  }
  const setupPool = new pg.Pool({ max: 1 });
  await setup(setupPool);
  await setupPool.end();

  const pool = new pg.Pool({ max: poolSize, options: `-c search_path=${SCHEMA}` });
  const names = Object.keys(routes).filter((r) => r !== '/post-detail');
  const lines = [];
  let statements = 0;
  await Promise.all(Array.from({ length: users }, async (_, u) => {
    const session = { toOpen: [] };
    let next = u;  // each user goes through the routes in turn, from its own
    for (let r = 0; r < perUser; ++r) {
      const n = u * 3 + r;
      const route = session.toOpen.length > 0 ? '/post-detail' : names[next++ % names.length];
      const id = `u${u}-r${r}`;
      const count = { statements: 0 };
      await routes[route](pool, comment(id, route), n, count, session);
      lines.push(`request ${id} ${route} ${count.statements}`);
      statements += count.statements;
    }
  }));
  await pool.end();
  console.log(lines.join('\n'));
  console.log(`requests: ${lines.length}`);
  console.log(`statements: ${statements}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
