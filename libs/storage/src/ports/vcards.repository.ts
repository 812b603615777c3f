export interface VcardsRepository {
  get(owner: string): Promise<string | undefined>; // the vCard element as XML
  set(owner: string, xml: string): Promise<void>;
  delete(owner: string): Promise<void>;
}
