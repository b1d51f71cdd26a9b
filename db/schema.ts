/** Kysely's view of the database: one interface per table, columns nullable, not optional. */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from "kysely";

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T> = ColumnType<T, string | undefined, string>;

export type Provider = "google" | "github" | "linkedin";
export type SignInProvider = Exclude<Provider, "linkedin">;
export type Plan = "build" | "scale" | "enterprise" | "gpu_cluster";
export type AccountStatus = "active" | "blocked" | "deleting" | "deleted";
export type MemberRole = "owner" | "admin" | "member";
export type StaffRole = "support" | "operator" | "admin";
export type ActorType = "user" | "staff" | "system" | "workflow" | "anonymous";

export interface UsersTable {
  id: Generated<string>;
  email: string | null;
  name: string | null;
  avatar_url: string | null;
  provider: Provider;
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
}

export type User = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type Account = Selectable<AccountsTable>;
export type AccountUpdate = Updateable<AccountsTable>;
export type Staff = Selectable<StaffTable>;
export type Session = Selectable<SessionsTable>;
export type AuditRow = Selectable<AuditLogTable>;
export type StatusChange = Selectable<AccountStatusChangesTable>;
