// Frozen in time: never import app code here (Kysely migration rule).
import { sql, type Kysely } from "kysely";

/**
 * The console's one search box (/console/search) looks in several places at
 * once, and each needs an index that answers a LIMITed query without reading
 * a million rows:
 * - an email by prefix (`alice@`, `user123`): a B-tree with text_pattern_ops,
 *   which serves `LIKE 'x%'` under any collation (the unique index on email
 *   does so only under C); a trigram search of `user123` costs ten times more,
 *   because its trigrams `use` and `ser` are in every address;
 * - a person's or an account's name by any part: GIN trigram, like the email's
 *   (users_email_trgm, 2026_11_27_0007);
 * - a key by its prefix (`tgp_v1_AbCd`) or its last four characters;
 * - a ticket by the address it came from or goes to (trigram), or by its
 *   signed-in requester (their user id).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE INDEX users_email_prefix ON users (email text_pattern_ops);
    CREATE INDEX users_name_trgm ON users USING gin (name gin_trgm_ops);
    CREATE INDEX accounts_name_trgm ON accounts USING gin (name gin_trgm_ops);
    CREATE INDEX api_keys_prefix ON api_keys (prefix text_pattern_ops);
    CREATE INDEX api_keys_last4 ON api_keys (last4);
    CREATE INDEX support_tickets_requester ON support_tickets (requester_user_id);
    CREATE INDEX support_tickets_sender_trgm ON support_tickets USING gin (sender_address gin_trgm_ops);
    CREATE INDEX support_tickets_new_address_trgm ON support_tickets USING gin (new_address gin_trgm_ops);
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP INDEX support_tickets_new_address_trgm, support_tickets_sender_trgm, support_tickets_requester,
      api_keys_last4, api_keys_prefix, accounts_name_trgm, users_name_trgm, users_email_prefix;
  `.execute(db);
}
