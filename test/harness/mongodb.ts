import { startMongoTestServer, uniqueDatabase } from '../../libs/storage/src/mongodb/testing/mongo-test-server.js';

export interface MongoServer {
  url: string;
  database: string;
  stop(): Promise<void>;
}

/** FerretDB in a temp dir (scripts/ci/install-ferretdb.sh), or $MONGODB_URL when set. */
export async function startMongoServer(): Promise<MongoServer> {
  const server = await startMongoTestServer();
  return { url: server.url, database: uniqueDatabase('e2e'), stop: () => server.stop() };
}
