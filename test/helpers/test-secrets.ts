/** Secrets the test app runs with, shared by the activities tests run (tombstones must match). */
export const TEST_TOMBSTONE_SECRET = "test-tombstone-secret-test-tombstone-secret";
