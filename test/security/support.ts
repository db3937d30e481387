/** Small helpers shared by the security tests (HTTP answers, reading a service's own schema). */
import { Client } from 'pg';

export interface Answer<T = unknown> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

export async function http<T = Record<string, unknown>>(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: unknown; raw?: string } = {},
): Promise<Answer<T>> {
  const hasJson = init.body !== undefined;
  const res = await fetch(url, {
    method: init.method ?? (hasJson || init.raw !== undefined ? 'POST' : 'GET'),
    headers: { ...(hasJson ? { 'content-type': 'application/json' } : {}), ...init.headers },
    ...(hasJson ? { body: JSON.stringify(init.body) } : init.raw !== undefined ? { body: init.raw } : {}),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON
  }
  return { status: res.status, body: body as T, text, headers: res.headers };
}

/**
 * Tables of `schema` (in the test namespace's database) whose rows contain `needle` anywhere,
 * as text: a secret stored in the clear, in any column or JSON, is found.
 */
export async function tablesContaining(
  databaseUrl: string,
  schema: string,
  needle: string,
): Promise<string[]> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const { rows: tables } = await db.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'`,
      [schema],
    );
    const found: string[] = [];
    for (const { table_name } of tables) {
      // Identifiers come from the catalog (quoted); the searched value is a parameter.
      const ident = `"${schema.replace(/"/g, '""')}"."${table_name.replace(/"/g, '""')}"`;
      const { rows } = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${ident} t WHERE strpos(t::text, $1) > 0`,
        [needle],
      );
      if (rows[0].n > 0) found.push(table_name);
    }
    return found;
  } finally {
    await db.end();
  }
}

export async function query<T extends Record<string, unknown>>(
  databaseUrl: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    return (await db.query<T>(sql, params)).rows;
  } finally {
    await db.end();
  }
}
