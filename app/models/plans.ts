/**
 * What each plan allows, in one table (authentication.md, "Inviting Others to
 * Use Your Account"): user management only for GPU Cluster; username/password
 * logins for Scale and Enterprise; on Build, others get access through
 * additional API keys the owner creates and shares. Every page, action and
 * API that depends on the plan asks `planAllows`.
 */
import type { Plan } from "../../db/schema.js";

export const PLANS = ["build", "scale", "enterprise", "gpu_cluster"] as const satisfies readonly Plan[];

export type Capability = "additional_keys" | "user_management" | "password_logins";

export const PLAN_CAPABILITIES: Record<Plan, readonly Capability[]> = {
  build: ["additional_keys"],
  scale: ["additional_keys", "password_logins"],
  enterprise: ["additional_keys", "password_logins"],
  gpu_cluster: ["additional_keys", "user_management"],
};

export const PLAN_LABEL: Record<Plan, string> = { build: "Build", scale: "Scale", enterprise: "Enterprise", gpu_cluster: "GPU Cluster" };

export function planAllows(plan: Plan, capability: Capability): boolean {
  return PLAN_CAPABILITIES[plan].includes(capability);
}

/** The plans that allow a capability, for messages ("… is available on Scale and Enterprise"). */
export function plansWith(capability: Capability): string {
  const names = PLANS.filter((p) => planAllows(p, capability)).map((p) => PLAN_LABEL[p]);
  return names.length > 1 ? `${names.slice(0, -1).join(", ")} and ${names.at(-1)}` : (names[0] ?? "no plan");
}
