/** XEP-0012: when an account last went offline, and its last unavailable status. */
export interface LastActivity {
  at: Date;
  status: string;
}

export interface LastActivityRepository {
  get(owner: string): Promise<LastActivity | undefined>;
  set(owner: string, activity: LastActivity): Promise<void>;
  delete(owner: string): Promise<void>;
}
