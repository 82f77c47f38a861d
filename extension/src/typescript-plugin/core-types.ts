import path from "node:path";
import type ts from "typescript";

/** The package the fallback serves, and its subpath exports (`@databridge/core/runner-protocol`, …). */
export const CORE_PACKAGE = "@databridge/core";
export const isCoreSpecifier = (specifier: string) => specifier === CORE_PACKAGE || specifier.startsWith(`${CORE_PACKAGE}/`);

/**
 * Resolves `@databridge/core` (or one of its subpaths) to the declarations shipped in `typesRoot`
 * (`<typesRoot>/node_modules/@databridge/core`), as if the import were written in a file there. Bundler-style
 * resolution whatever the project says: the shipped package's `exports` name its `.d.ts` files.
 */
export function resolveShippedCore(typescript: typeof ts, specifier: string, typesRoot: string, options: ts.CompilerOptions): ts.ResolvedModuleWithFailedLookupLocations | undefined {
  if (!isCoreSpecifier(specifier)) return undefined;
  const resolved = typescript.resolveModuleName(specifier, path.join(typesRoot, "databridge-types.ts"), {
    ...options,
    module: typescript.ModuleKind.ESNext,
    moduleResolution: typescript.ModuleResolutionKind.Bundler,
    paths: undefined,
    baseUrl: undefined,
  }, typescript.sys);
  return resolved.resolvedModule ? resolved : undefined;
}

/**
 * Wraps a language service host so that an import of `@databridge/core` the workspace cannot resolve (no
 * `node_modules` at all, or not installed yet) resolves to the shipped declarations instead. An import the
 * workspace resolves itself (its own installed core) is left as it is.
 */
export function withShippedCore(typescript: typeof ts, host: ts.LanguageServiceHost, typesRoot: string, log: (line: string) => void = () => {}): void {
  const original = host.resolveModuleNameLiterals?.bind(host);
  if (!original) {
    log("the TypeScript host does not resolve module names through resolveModuleNameLiterals; @databridge/core is left to it");
    return;
  }
  host.resolveModuleNameLiterals = (literals, containingFile, redirectedReference, options, containingSourceFile, reusedNames) => {
    const results = original(literals, containingFile, redirectedReference, options, containingSourceFile, reusedNames);
    return results.map((result, index) => {
      const specifier = literals[index]?.text ?? "";
      if (result.resolvedModule || !isCoreSpecifier(specifier)) return result;
      const shipped = resolveShippedCore(typescript, specifier, typesRoot, options);
      if (shipped) log(`${specifier} in ${containingFile}: the workspace has none; using ${shipped.resolvedModule!.resolvedFileName}`);
      return shipped ?? result;
    });
  };
}
