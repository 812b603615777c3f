import { after, before } from 'node:test';
import type { MakeStorage, TestStorage } from './contract.types.js';

/** Opens one storage for a describe block and closes it after; `get()` returns it inside tests. */
export function withStorage(makeStorage: MakeStorage): () => TestStorage {
  let storage: TestStorage | undefined;
  before(async () => {
    storage = await makeStorage();
  });
  after(async () => {
    await storage?.close();
  });
  return () => {
    if (!storage) throw new Error('storage not opened');
    return storage;
  };
}
