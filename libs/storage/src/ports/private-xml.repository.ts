/** XEP-0049 private XML storage: one element per (owner, qualified name). */
export interface PrivateXmlRepository {
  get(owner: string, name: string, xmlns: string): Promise<string | undefined>;
  set(owner: string, name: string, xmlns: string, xml: string): Promise<void>;
  deleteAll(owner: string): Promise<void>;
}
