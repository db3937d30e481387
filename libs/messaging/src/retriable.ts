/**
 * Whether an error is expected to pass on retry (infrastructure) or not (a bug, a refused
 * domain rule, bad data). The consumer retries the first kind with backoff and leaves the offset
 * uncommitted; it dead-letters the second kind.
 */
const RETRIABLE_SQLSTATE_CLASSES = ['08', '53', '57', '58'];
const RETRIABLE_SQLSTATES = new Set(['40001', '40P01', '55P03', '55006']);
const RETRIABLE_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);
const RETRIABLE_MESSAGES = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /connection (is )?(closed|ended)/i,
  /Client has encountered a connection error/i,
  /terminating connection/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
  /Query runner already released/i,
  // TypeORM's QueryRunnerProviderAlreadyReleasedError: the transaction's connection died under it.
  /connection provided by a query runner was already released/i,
  /Connection is closed/i,
];

export function isRetriable(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as {
    retriable?: unknown;
    code?: unknown;
    driverError?: { code?: unknown };
    message?: unknown;
    cause?: unknown;
  };
  if (e.retriable === true) return true;
  if (e.retriable === false) return false;
  const sqlState =
    typeof e.driverError?.code === 'string' ? e.driverError.code : typeof e.code === 'string' ? e.code : '';
  if (/^[0-9A-Z]{5}$/.test(sqlState)) {
    if (RETRIABLE_SQLSTATES.has(sqlState) || RETRIABLE_SQLSTATE_CLASSES.includes(sqlState.slice(0, 2)))
      return true;
  }
  if (typeof e.code === 'string' && RETRIABLE_NODE_CODES.has(e.code)) return true;
  if (typeof e.message === 'string' && RETRIABLE_MESSAGES.some((re) => re.test(e.message as string)))
    return true;
  if (e.cause && e.cause !== err) return isRetriable(e.cause);
  return false;
}
