/** Kysely's view of the database: one interface per table, columns nullable, not optional. */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from "kysely";

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T> = ColumnType<T, string | undefined, string>;

export type Provider = "google" | "github" | "linkedin";
export type SignInProvider = Exclude<Provider, "linkedin">;
/** How a user signs in: an OAuth provider, or a username/password login of one account. */
export type UserProvider = Provider | "password";
export type Plan = "build" | "scale" | "enterprise" | "gpu_cluster";
export type AccountStatus = "active" | "blocked" | "deleting" | "deleted";
export type MemberRole = "owner" | "admin" | "member";
export type StaffRole = "support" | "operator" | "admin";
export type ActorType = "user" | "staff" | "system" | "workflow" | "anonymous" | "api_key";

export interface UsersTable {
  id: Generated<string>;
  email: string | null;
  name: string | null;
  avatar_url: string | null;
  provider: UserProvider;
  created_at: Timestamp;
  erased_at: NullableTimestamp;
}

export interface IdentitiesTable {
  id: Generated<string>;
  user_id: string;
  provider: Provider;
  subject: string;
  email: string;
  email_verified: boolean;
  created_at: Timestamp;
  last_sign_in_at: NullableTimestamp;
}

export interface AccountsTable {
  id: Generated<string>;
  name: string;
  plan: ColumnType<Plan, Plan | undefined, Plan>;
  status: ColumnType<AccountStatus, AccountStatus | undefined, AccountStatus>;
  blocked_reason_code: string | null;
  blocked_at: NullableTimestamp;
  transferred_to_account_id: string | null;
  created_at: Timestamp;
  /** Integer cents, as a string (int8): never a float. */
  balance_cents: ColumnType<string, string | number | bigint | undefined, string | number | bigint>;
  credit_limit_cents: ColumnType<string, string | number | bigint | undefined, string | number | bigint>;
  /** Bumped by a trigger on every UPDATE; the account_changed NOTIFY carries it (int8, as a string). */
  row_version: ColumnType<string, never, never>;
  password_logins_enabled: Generated<boolean>;
  /** The account identifier typed at /login/password; set when password logins are first enabled. */
  login_id: string | null;
}

export interface MembershipsTable {
  account_id: string;
  user_id: string;
  role: MemberRole;
  created_at: Timestamp;
}

export interface StaffTable {
  id: Generated<string>;
  email: string;
  role: StaffRole;
  provider: SignInProvider | null;
  created_at: Timestamp;
  created_by: string | null;
}

export interface SessionsTable {
  id: Generated<string>;
  token_hash: Buffer;
  user_id: string | null;
  account_id: string | null;
  staff_id: string | null;
  provider: string;
  created_at: Timestamp;
  last_seen_at: Timestamp;
  expires_at: Timestamp;
  revoked_at: NullableTimestamp;
  revoked_reason: string | null;
  ip: string | null;
  user_agent: string | null;
  password_change_required: Generated<boolean>;
}

export interface AuditLogTable {
  id: Generated<string>;
  at: Timestamp;
  actor_type: ActorType;
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  details: Json<Record<string, unknown>>;
  ip: string | null;
}

export interface EmailTombstonesTable {
  email_hmac: Buffer;
  created_at: Timestamp;
}

export type StatusChangeAction = "block" | "unblock";
export type StatusChangeState = "pending" | "running" | "completed" | "failed";
export interface StatusChangeStep {
  step: string;
  outcome: string;
  at: string;
}

export interface AccountStatusChangesTable {
  id: Generated<string>;
  account_id: string;
  action: StatusChangeAction;
  reason_code: string;
  reason_text: string;
  requested_by: string | null;
  status: ColumnType<StatusChangeState, StatusChangeState | undefined, StatusChangeState>;
  workflow_id: string | null;
  steps: Json<StatusChangeStep[]>;
  error: string | null;
  created_at: Timestamp;
  completed_at: NullableTimestamp;
  transfer_to_account_id: string | null;
}

export type ApiKeyKind = "main" | "additional";
export interface ApiKeysTable {
  id: Generated<string>;
  account_id: string;
  kind: ApiKeyKind;
  name: string;
  key_hash: Buffer;
  prefix: string;
  last4: string;
  status: ColumnType<"active" | "revoked", "active" | "revoked" | undefined, "active" | "revoked">;
  created_at: Timestamp;
  created_by_user_id: string | null;
  revoked_at: NullableTimestamp;
  revoked_reason: string | null;
  last_used_at: NullableTimestamp;
  checksummed: ColumnType<boolean, boolean | undefined, boolean>;
  expires_at: NullableTimestamp;
  spend_limit_cents: ColumnType<string | null, string | number | bigint | null | undefined, string | number | bigint | null>;
  superseded_at: NullableTimestamp;
  leaked_url: string | null;
  leaked_source: string | null;
}

/** Usage per key per calendar month (UTC): what a spend limit is checked against. */
export interface ApiKeyMonthSpendTable {
  key_id: string;
  /** The month's first day, as PostgreSQL's date ("2026-12-01"). */
  month: ColumnType<string, string, never>;
  spent_cents: ColumnType<string, string | number | bigint, string | number | bigint>;
}

export interface NotificationOptOutsTable {
  user_id: string;
  kind: string;
  created_at: Timestamp;
}

export type LedgerKind = "grant" | "usage" | "recharge" | "adjustment" | "transfer_out" | "transfer_in" | "purchase" | "refund";
export interface LedgerEntriesTable {
  id: Generated<string>;
  account_id: string;
  amount_cents: ColumnType<string, string | number | bigint, never>;
  kind: LedgerKind;
  idempotency_key: string;
  balance_after_cents: ColumnType<string, string | number | bigint, never>;
  actor_type: ActorType;
  actor_id: string | null;
  note: string | null;
  payment_intent_id: ColumnType<string | null, string | null | undefined, never>;
  created_at: Timestamp;
}

export type PaymentProviderName = "stripe" | "test";
export interface PaymentEventsTable {
  id: string;
  type: string;
  received_at: Timestamp;
}
export interface BillingCustomersTable {
  account_id: string;
  provider: PaymentProviderName;
  customer_id: string;
  created_at: Timestamp;
}
export interface PaymentMethodsTable {
  id: Generated<string>;
  account_id: string;
  provider: PaymentProviderName;
  provider_payment_method_id: string;
  brand: string;
  last4: string;
  exp_month: number;
  exp_year: number;
  created_at: Timestamp;
  removed_at: NullableTimestamp;
}
export type CheckoutMode = "payment" | "setup";
export interface CheckoutSessionsTable {
  id: Generated<string>;
  account_id: string;
  provider: PaymentProviderName;
  mode: CheckoutMode;
  amount_cents: ColumnType<string | null, string | number | bigint | null, never>;
  attempt_key: string;
  provider_session_id: string | null;
  status: ColumnType<"open" | "complete", "open" | "complete" | undefined, "open" | "complete">;
  created_by_user_id: string | null;
  created_at: Timestamp;
  completed_at: NullableTimestamp;
}
export type PaymentKind = "purchase" | "recharge";
export type PaymentStatus = "pending" | "succeeded" | "failed" | "requires_action";
export interface PaymentsTable {
  id: Generated<string>;
  account_id: string;
  provider: PaymentProviderName;
  kind: PaymentKind;
  amount_cents: ColumnType<string, string | number | bigint, never>;
  status: PaymentStatus;
  failure_code: string | null;
  idempotency_key: string;
  payment_intent_id: string | null;
  provider_payment_method_id: string | null;
  provider_customer_id: string | null;
  charge_id: string | null;
  card_brand: string | null;
  card_last4: string | null;
  receipt_url: string | null;
  refunded_cents: ColumnType<string, string | number | bigint | undefined, string | number | bigint>;
  refund_posted_cents: ColumnType<string, string | number | bigint | undefined, string | number | bigint>;
  ledger_entry_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}
export interface BillingLimitsTable {
  account_id: string;
  max_recharge_cents: ColumnType<string, string | number | bigint, string | number | bigint>;
  max_daily_recharge_cents: ColumnType<string, string | number | bigint, string | number | bigint>;
  updated_by_staff_id: string | null;
  updated_at: Timestamp;
}
export interface BillingFlagsTable {
  id: Generated<string>;
  account_id: string;
  reason: string;
  payment_id: string | null;
  amount_cents: ColumnType<string | null, string | number | bigint | null, string | number | bigint | null>;
  created_at: Timestamp;
  resolved_at: NullableTimestamp;
  resolved_by_staff_id: string | null;
}

export interface RechargeRulesTable {
  account_id: string;
  enabled: boolean;
  threshold_cents: ColumnType<string, string | number | bigint, string | number | bigint>;
  target_cents: ColumnType<string, string | number | bigint, string | number | bigint>;
  payment_method: string;
  paused_reason: string | null;
  last_outcome: string | null;
  last_outcome_at: NullableTimestamp;
  updated_at: Timestamp;
}

export interface TestPaymentChargesTable {
  idempotency_key: string;
  charge_id: Generated<string>;
  amount_cents: ColumnType<string, string | number | bigint, never>;
  payment_method: string;
  outcome: "approved" | "declined" | "requires_action";
  created_at: Timestamp;
}

export type MailStatus = "pending" | "sending" | "sent" | "failed" | "kept";
export interface MailOutboxTable {
  id: Generated<string>;
  dedupe_key: string;
  kind: string;
  to_address: string | null;
  subject: string;
  text_body: string;
  headers: Json<Record<string, string>>;
  related_type: string | null;
  related_id: string | null;
  status: MailStatus;
  attempts: Generated<number>;
  next_attempt_at: Generated<Date>;
  claimed_at: NullableTimestamp;
  last_error: string | null;
  created_at: Timestamp;
  sent_at: NullableTimestamp;
  /** When the retention purge emptied text_body (MAIL_BODY_RETENTION_DAYS after sending); null while the body is kept. */
  body_purged_at: NullableTimestamp;
}

export type TicketStatus =
  "open" | "awaiting_confirmation" | "awaiting_approval" | "transferring" | "completed" | "rejected" | "expired" | "withdrawn" | "cancelled" | "failed";
export interface TicketCheck {
  code: string;
  passed: boolean;
}
export interface SupportTicketsTable {
  id: Generated<string>;
  kind: "email_transfer";
  status: ColumnType<TicketStatus, TicketStatus | undefined, TicketStatus>;
  step: ColumnType<string, string | undefined, string>;
  source: "web" | "email";
  old_account_id: string | null;
  requester_user_id: string | null;
  sender_address: string | null;
  sender_verdict: "pass" | "fail" | null;
  new_address: string | null;
  new_account_id: string | null;
  checks: Json<TicketCheck[]>;
  confirm_token_hash: Buffer | null;
  confirm_expires_at: NullableTimestamp;
  confirmed_at: NullableTimestamp;
  transferred_cents: ColumnType<string | null, string | number | bigint | null | undefined, string | number | bigint | null>;
  failure_reason: string | null;
  workflow_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  closed_at: NullableTimestamp;
  /** The staff member working the ticket (app/models/tickets.server.ts: setTicketClaim); null: unclaimed. */
  claimed_by: string | null;
  claimed_at: NullableTimestamp;
}

export interface TicketDecisionsTable {
  id: Generated<string>;
  ticket_id: string;
  staff_id: string | null;
  decision: "approve" | "reject";
  reason: string | null;
  created_at: Timestamp;
}

/** The console lists a saved view belongs to. */
export type SavedViewList = "tickets" | "workflows" | "accounts" | "deletions" | "audit";

/** A staff member's named filters for one console list (the list's query string, re-validated when opened). */
export interface SavedViewsTable {
  id: Generated<string>;
  staff_id: string;
  list: SavedViewList;
  name: string;
  query: string;
  created_at: Timestamp;
}

export interface TicketNotesTable {
  id: Generated<string>;
  ticket_id: string;
  staff_id: string | null;
  body: string;
  created_at: Timestamp;
}

export interface MailingListsTable {
  id: string;
  name: string;
  description: string;
  position: number;
  created_at: Timestamp;
}

export interface MailingSubscriptionsTable {
  id: Generated<string>;
  user_id: string;
  list_id: string;
  subscribed: boolean;
  changed_at: Timestamp;
  provider_synced_at: NullableTimestamp;
  created_at: Timestamp;
}

export interface ListMailingsTable {
  id: Generated<string>;
  list_id: string;
  subject: string;
  text_body: string;
  created_by: string | null;
  status: ColumnType<"sending" | "sent" | "failed", "sending" | "sent" | "failed" | undefined, "sending" | "sent" | "failed">;
  recipients: Generated<number>;
  created_at: Timestamp;
  completed_at: NullableTimestamp;
}

export type DeletionState = "pending" | "running" | "completed" | "failed";
export interface AccountDeletionsTable {
  id: Generated<string>;
  account_id: string;
  source: "self" | "support";
  requested_by_user_id: string | null;
  requested_by_staff_id: string | null;
  reason: ColumnType<string, string | undefined, string>;
  status: ColumnType<DeletionState, DeletionState | undefined, DeletionState>;
  workflow_id: string | null;
  steps: Json<StatusChangeStep[]>;
  error: string | null;
  created_at: Timestamp;
  completed_at: NullableTimestamp;
}

export type InvitedRole = "admin" | "member";
export interface InvitationsTable {
  id: Generated<string>;
  account_id: string;
  email: string | null;
  role: InvitedRole;
  token_hash: Buffer;
  invited_by: string | null;
  created_at: Timestamp;
  expires_at: Timestamp;
  last_sent_at: Timestamp;
  sent_count: Generated<number>;
  accepted_at: NullableTimestamp;
  accepted_user_id: string | null;
  revoked_at: NullableTimestamp;
}

export interface PasswordLoginsTable {
  user_id: string;
  account_id: string;
  username: string;
  password_hash: string;
  must_change: Generated<boolean>;
  created_by: string | null;
  created_at: Timestamp;
  password_changed_at: NullableTimestamp;
}

/** Limits shared by every web process (app/models/rate-limits.server.ts): attempts per key in a window, and a lock. */
export interface RateLimitsTable {
  key: string;
  hits: number;
  window_started_at: Timestamp;
  locked_until: NullableTimestamp;
  expires_at: Timestamp;
}

/** Inbound mails that made a ticket, by SHA-256 of their message id: a mail delivered again makes no second ticket. */
export interface InboundMessagesTable {
  message_id_hash: Buffer;
  ticket_id: string | null;
  received_at: Timestamp;
}

export interface Database {
  users: UsersTable;
  identities: IdentitiesTable;
  accounts: AccountsTable;
  memberships: MembershipsTable;
  staff: StaffTable;
  sessions: SessionsTable;
  audit_log: AuditLogTable;
  email_tombstones: EmailTombstonesTable;
  account_status_changes: AccountStatusChangesTable;
  api_keys: ApiKeysTable;
  api_key_month_spend: ApiKeyMonthSpendTable;
  notification_opt_outs: NotificationOptOutsTable;
  ledger_entries: LedgerEntriesTable;
  recharge_rules: RechargeRulesTable;
  test_payment_charges: TestPaymentChargesTable;
  payment_events: PaymentEventsTable;
  billing_customers: BillingCustomersTable;
  payment_methods: PaymentMethodsTable;
  checkout_sessions: CheckoutSessionsTable;
  payments: PaymentsTable;
  billing_limits: BillingLimitsTable;
  billing_flags: BillingFlagsTable;
  mail_outbox: MailOutboxTable;
  support_tickets: SupportTicketsTable;
  inbound_messages: InboundMessagesTable;
  ticket_decisions: TicketDecisionsTable;
  ticket_notes: TicketNotesTable;
  saved_views: SavedViewsTable;
  mailing_lists: MailingListsTable;
  mailing_subscriptions: MailingSubscriptionsTable;
  list_mailings: ListMailingsTable;
  account_deletions: AccountDeletionsTable;
  invitations: InvitationsTable;
  password_logins: PasswordLoginsTable;
  rate_limits: RateLimitsTable;
}

export type User = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type Account = Selectable<AccountsTable>;
export type AccountUpdate = Updateable<AccountsTable>;
export type Staff = Selectable<StaffTable>;
export type Session = Selectable<SessionsTable>;
export type AuditRow = Selectable<AuditLogTable>;
export type StatusChange = Selectable<AccountStatusChangesTable>;
export type AccountDeletion = Selectable<AccountDeletionsTable>;
