import type { Connector } from "@databridge/core";
import { createMariadbDatabase, createPostgresDatabase } from "./servers.js";
import { createWorkspace, openConnector, type TestWorkspace } from "./cli.js";

export interface MigrationFixture {
  source: Awaited<ReturnType<typeof createMariadbDatabase>>;
  target: Awaited<ReturnType<typeof createPostgresDatabase>>;
  /** A workspace whose `legacy` connection is the source and `warehouse` the target. */
  workspace: TestWorkspace;
  sourceConnector: Connector;
  targetConnector: Connector;
  /** Closes the connectors, removes the workspace, drops both databases. */
  close(): Promise<void>;
}

/** A fresh MariaDB source and PostgreSQL target database, a workspace naming them, and a connector on each. */
export async function createMigrationFixture(prefix: string): Promise<MigrationFixture> {
  const source = await createMariadbDatabase(`${prefix}_src`);
  const target = await createPostgresDatabase(`${prefix}_dst`);
  const workspace = createWorkspace({ legacy: source.url, warehouse: target.url });
  const sourceConnector = await openConnector("legacy", source.url);
  const targetConnector = await openConnector("warehouse", target.url);
  return {
    source, target, workspace, sourceConnector, targetConnector,
    async close() {
      await sourceConnector.close();
      await targetConnector.close();
      workspace.remove();
      await source.drop();
      await target.drop();
    },
  };
}
