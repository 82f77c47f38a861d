import { describe, expect, it } from "vitest";
import { describeConnector } from "./connector.js";
import { builtinConnectors } from "./index.js";

/**
 * Clients build connection forms and URLs from these descriptions alone (the dashboard, VS Code's Add Connection),
 * so every built-in folder must describe itself fully, and its type must be the scheme its URLs are written with.
 */
describe("built-in connectors describe themselves", () => {
  it.each(builtinConnectors.map((f) => [f.type, f] as const))("%s", (_type, factory) => {
    expect(factory.description, "description on the factory").toBeDefined();
    const described = describeConnector(factory);
    expect(described.schemes[0]).toBe(factory.type);
    expect(new URL(described.urlExample).protocol).toBe(`${factory.type}:`);
    expect(described.roles.length).toBeGreaterThan(0);
    if (described.storage === "server") expect(described.defaultPort).toBeGreaterThan(0);
    else expect(factory.embedded, "an embedded connector says where its data lives").toBeDefined();
  });

  it("each type once", () => {
    const types = builtinConnectors.map((f) => f.type);
    expect(new Set(types).size).toBe(types.length);
  });
});
