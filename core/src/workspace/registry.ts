import { describeConnector, type ConnectorDescription, type ConnectorFactory } from "../connectors/connector.js";
import { builtinConnectors } from "../connectors/index.js";
import { definePlugin, type Plugin, type TransformDefinition } from "../authoring/plugin.js";
import { builtinTransforms } from "../transforms/builtin-transforms.js";
import { configError } from "../errors.js";

/** The built-in connectors and transforms, registered through the same plugin API users have. */
export const builtinPlugin = definePlugin({
  name: "databridge-builtin",
  connectors: [...builtinConnectors],
  transforms: builtinTransforms,
});

export interface Registry {
  connectorsByScheme: ReadonlyMap<string, ConnectorFactory>;
  /** Every connector's self-description, by type (a plugin's replaces a built-in of the same type). */
  connectors: ReadonlyMap<string, ConnectorDescription>;
  transforms: ReadonlyMap<string, TransformDefinition<never>>;
  plugins: readonly Plugin[];
}

/** Later plugins win: a workspace plugin may replace a built-in connector scheme or transform. */
export function createRegistry(plugins: readonly Plugin[] = []): Registry {
  const connectorsByScheme = new Map<string, ConnectorFactory>();
  const connectors = new Map<string, ConnectorDescription>();
  const transforms = new Map<string, TransformDefinition<never>>();
  const all = [builtinPlugin, ...plugins];
  for (const plugin of all) {
    if (plugin?.kind !== "databridge.plugin") throw configError(`plugins: every entry must come from definePlugin(...) (got ${JSON.stringify(plugin)})`);
    for (const factory of plugin.connectors ?? []) {
      for (const scheme of factory.schemes) connectorsByScheme.set(scheme.toLowerCase(), factory);
      connectors.set(factory.type, describeConnector(factory));
    }
    for (const transform of plugin.transforms ?? []) {
      transforms.set(transform.name, transform);
    }
  }
  return { connectorsByScheme, connectors, transforms, plugins: all };
}
