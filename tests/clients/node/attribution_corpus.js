// A blog app on node-postgres's pg.Pool, as an ORM without transactions drives it: every query
// takes whichever pooled connection is free, so one request's queries spread over connections
// and each connection serves many requests back to back. Routes of known shapes (lazy N+1 one
// and two levels deep, JOIN, ANY batch, IN list, paging, keyset paging, a belongsTo loop keyed
// behind a long TEXT column, a parallel dashboard, a write loop), each request starting with a
// lookup of the session's user 1. Every query carries a sqlcommenter request_id and route: the
// ground truth pgtally reads but ignores under --ignore-tags.
//
// With CORPUS_TAGS=otel the app writes no comment itself: each request is an OpenTelemetry span,
// and @opentelemetry/instrumentation-pg with addSqlCommenterCommentToQueries appends the
// `traceparent` of each query, as an app traced with OpenTelemetry does with one line of setup.
//
// Usage: node attribution_corpus.js USERS POOL REQUESTS_PER_USER
// Connection from PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE. Prints one line per request
// (`request ID ROUTE STATEMENTS`, ID being the trace id under otel), then `requests: N` and
// `statements: N` on success; exits non-zero on any error.
'use strict';

const tagging = process.env.CORPUS_TAGS || 'sqlcommenter';
if (tagging !== 'sqlcommenter' && tagging !== 'otel') {
  console.error(`CORPUS_TAGS must be sqlcommenter or otel, not ${tagging}`);
  process.exit(2);
}

// The instrumentation patches pg when it is loaded, so tracing starts before require('pg').
function startTracing() {
  const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
  const { registerInstrumentations } = require('@opentelemetry/instrumentation');
  const { PgInstrumentation } = require('@opentelemetry/instrumentation-pg');
  new NodeTracerProvider().register();
  registerInstrumentations({
    instrumentations: [new PgInstrumentation({ addSqlCommenterCommentToQueries: true })],
  });
  return require('@opentelemetry/api').trace.getTracer('attribution-corpus');
}
const tracer = tagging === 'otel' ? startTracing() : null;

const pg = require('pg');

const SCHEMA = 'attribution_corpus';
const BLOGS = 5;
const POSTS_PER_BLOG = 12;
const LONG_BODY = 'x'.repeat(2048);

function comment(id, route) {
  return ` /*request_id='${id}',route='${encodeURIComponent(route)}'*/`;
}

// One request's query function: tags every statement (unless the instrumentation does) and
// counts them.
function requestScope(pool, id, route, counter) {
  const tag = tracer ? '' : comment(id, route);
  return async (sql, params = []) => {
    counter.statements += 1;
    const r = await pool.query(sql + tag, params);
    return r.rows;
  };
}

// Runs one request, under its own span when traced; returns its id.
async function serve(pool, id, route, n, counter) {
  const run = async (requestId) => {
    const q = requestScope(pool, requestId, route, counter);
    await q('SELECT id, name FROM users WHERE id = $1', [1]);  // the session's user
    await routes[route](q, n);
    return requestId;
  };
  if (!tracer) return run(id);
  return tracer.startActiveSpan(route, async (span) => {
    try {
      return await run(span.spanContext().traceId);
    } finally {
      span.end();
    }
  });
}

const routes = {
  async '/posts-lazy'(q, n) {
    const posts = await q('SELECT id, title FROM posts WHERE blog_id = $1 ORDER BY id LIMIT 10',
      [1 + (n % BLOGS)]);
    for (const p of posts) await q('SELECT id, body FROM comments WHERE post_id = $1', [p.id]);
  },
  async '/posts-nested'(q, n) {
    const posts = await q('SELECT id, title FROM posts WHERE blog_id = $1 ORDER BY id LIMIT 6',
      [1 + ((n + 2) % BLOGS)]);
    for (const p of posts) {
      const comments = await q('SELECT id, author_id FROM comments WHERE post_id = $1', [p.id]);
      for (const c of comments) await q('SELECT id, name FROM users WHERE id = $1', [c.author_id]);
    }
  },
  async '/posts-join'(q, n) {
    await q('SELECT p.id, p.title, c.id AS comment_id, c.body FROM posts p ' +
      'LEFT JOIN comments c ON c.post_id = p.id WHERE p.blog_id = $1 ORDER BY p.id, c.id',
    [1 + (n % BLOGS)]);
  },
  async '/posts-batch'(q, n) {
    const posts = await q('SELECT id, title FROM posts WHERE blog_id = $1 ORDER BY id LIMIT 10',
      [1 + ((n + 1) % BLOGS)]);
    await q('SELECT id, post_id, body FROM comments WHERE post_id = ANY($1)',
      [posts.map((p) => p.id)]);
  },
  async '/posts-separate'(q, n) {
    const posts = await q('SELECT id, title FROM posts WHERE blog_id = $1 ORDER BY id LIMIT 10',
      [1 + ((n + 3) % BLOGS)]);
    const marks = posts.map((_, i) => `$${i + 1}`).join(', ');
    await q(`SELECT id, post_id, body FROM comments WHERE post_id IN (${marks})`,
      posts.map((p) => p.id));
  },
  async '/posts-page'(q, n) {
    await q('SELECT id, title FROM posts ORDER BY id LIMIT 10 OFFSET $1', [10 * (n % 5)]);
  },
  async '/posts-keyset'(q, n) {
    let after = n % 20;
    for (let page = 0; page < 3; ++page) {
      const rows = await q('SELECT id, title FROM posts WHERE id > $1 ORDER BY id LIMIT 5', [after]);
      after = rows[rows.length - 1].id;
    }
  },
  async '/authors'(q, n) {
    // belongsTo, lazily: the author key stands after the long body and the timestamps.
    const posts = await q('SELECT id, title, body, created_at, author_id FROM posts ' +
      'WHERE blog_id = $1 ORDER BY id LIMIT 12', [1 + ((n + 4) % BLOGS)]);
    for (const p of posts) await q('SELECT id, name FROM users WHERE id = $1', [p.author_id]);
  },
  async '/dashboard'(q) {
    await Promise.all([
      q('SELECT count(*) FROM posts'),
      q('SELECT count(*) FROM comments'),
      q('SELECT count(*) FROM users'),
      q('SELECT count(*) FROM orders'),
    ]);
  },
  async '/checkout'(q, n) {
    const [order] = await q('INSERT INTO orders (user_id) VALUES ($1) RETURNING id', [1]);
    for (let i = 0; i < 6; ++i) {
      await q('INSERT INTO order_items (order_id, product_id, qty) VALUES ($1, $2, $3)',
        [order.id, 1 + ((n + i) % 20), 1 + (i % 3)]);
    }
  },
};

async function setup(pool) {
  const c = await pool.connect();
  try {
    await c.query('SET client_min_messages = warning');
    await c.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
    await c.query(`CREATE SCHEMA ${SCHEMA}`);
    await c.query(`SET search_path = ${SCHEMA}`);
    await c.query('CREATE TABLE users (id serial PRIMARY KEY, name text NOT NULL)');
    await c.query('CREATE TABLE posts (id serial PRIMARY KEY, blog_id int NOT NULL, ' +
      'title text NOT NULL, body text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), ' +
      'author_id int NOT NULL REFERENCES users)');
    await c.query('CREATE TABLE comments (id serial PRIMARY KEY, post_id int NOT NULL ' +
      'REFERENCES posts, author_id int NOT NULL REFERENCES users, body text NOT NULL)');
    await c.query('CREATE TABLE orders (id serial PRIMARY KEY, user_id int NOT NULL)');
    await c.query('CREATE TABLE order_items (id serial PRIMARY KEY, order_id int NOT NULL ' +
      'REFERENCES orders, product_id int NOT NULL, qty int NOT NULL)');
    await c.query("INSERT INTO users (name) SELECT 'user ' || g FROM generate_series(1, 30) g");
    // Three authors per blog, so a belongsTo loop sees each author several times.
    await c.query('INSERT INTO posts (blog_id, title, body, author_id) ' +
      "SELECT b, 'post ' || p, $1, 1 + ((b * 3 + p % 3) % 30) " +
      `FROM generate_series(1, ${BLOGS}) b, generate_series(1, ${POSTS_PER_BLOG}) p ORDER BY b, p`,
    [LONG_BODY]);
    await c.query('INSERT INTO comments (post_id, author_id, body) ' +
      "SELECT p.id, 1 + ((p.id * 7 + k) % 30), 'comment ' || k FROM posts p, " +
      'generate_series(1, 3) k ORDER BY p.id, k');
  } finally {
    c.release();
  }
}

async function main() {
  const [users, poolSize, perUser] = process.argv.slice(2).map((a) => Number(a));
  if (!(users > 0 && poolSize > 0 && perUser > 0)) {
    console.error('usage: node attribution_corpus.js USERS POOL REQUESTS_PER_USER');
    process.exit(2);
  }
  const setupPool = new pg.Pool({ max: 1 });
  await setup(setupPool);
  await setupPool.end();

  const pool = new pg.Pool({ max: poolSize, options: `-c search_path=${SCHEMA}` });
  const names = Object.keys(routes);
  const counter = { statements: 0, requests: 0 };
  const lines = [];
  await Promise.all(Array.from({ length: users }, async (_, u) => {
    for (let r = 0; r < perUser; ++r) {
      const n = u * 7 + r;
      const route = names[n % names.length];
      const mine = { statements: 0 };
      const id = await serve(pool, `u${u}-r${r}`, route, n, mine);
      lines.push(`request ${id} ${route} ${mine.statements}`);
      counter.statements += mine.statements;
      counter.requests += 1;
    }
  }));
  console.log(lines.join('\n'));
  await pool.end();
  console.log(`requests: ${counter.requests}`);
  console.log(`statements: ${counter.statements}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
