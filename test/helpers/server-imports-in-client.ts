/**
 * Finds browser code that uses a value from a `.server` module. The Remix
 * compiler bundles a route's client exports (default, ErrorBoundary, meta,
 * links, handle, …) and everything they reach for the browser, and replaces
 * every `*.server` module there by an empty one: such a value is `undefined`
 * in the browser, so a call crashes only after hydration ("x is not a
 * function"), never on the server and never without JavaScript.
 *
 * Statically, with the TypeScript checker: from each route module's client
 * exports, follow every identifier used as a value (types are erased and do
 * not count) to the top-level declarations it names, across the app's own
 * modules, and report each one imported from a `.server` module (or
 * re-exported from one). Module-level code (which the bundler keeps: it cannot
 * prove a call pure) runs in the browser too; there a `.server` value is
 * reported where it is called or dereferenced, since merely holding it (a zod
 * schema with a server-side limit) breaks only the code that uses the holder,
 * and that code is followed from the client exports. Loaders and actions are
 * only followed when browser code reaches them, as the bundler does.
 */
import path from "node:path";
import ts from "typescript";

/** What Remix keeps in a route's browser module (@remix-run/dev's client exports). */
const CLIENT_EXPORTS = new Set([
  "default",
  "ErrorBoundary",
  "meta",
  "links",
  "handle",
  "shouldRevalidate",
  "clientLoader",
  "clientAction",
  "HydrateFallback",
  "Layout",
]);

/** `x.server`, `x.server.ts`/`.js`…, or anything under a `.server/` directory. */
export const isServerModule = (name: string) => /\.server(\.[cm]?[jt]sx?)?$/.test(name) || /(^|[\\/])\.server[\\/]/.test(name);

export interface Violation {
  /** Path relative to the root given, with the line of the use. */
  at: string;
  name: string;
  /** The `.server` module it comes from, as written or as resolved. */
  from: string;
  /** The client export (or module-level statement) of the route that reaches the use. */
  via: string;
}

type Mode = "client" | "load";

export function serverValuesInClientCode(routeFiles: string[], options: { root: string; compilerOptions: ts.CompilerOptions }): Violation[] {
  // Only the app's own modules matter (a package is never a `.server` module here), so only relative and
  // `~/` imports are resolved and no library is loaded: the scan takes a second or two, not a type-check.
  const compilerOptions: ts.CompilerOptions = { ...options.compilerOptions, noEmit: true, noLib: true, types: [] };
  const host = ts.createCompilerHost(compilerOptions);
  host.resolveModuleNameLiterals = (literals, containingFile) =>
    literals.map((l) => ({
      resolvedModule: /^(\.|~\/)/.test(l.text) ? ts.resolveModuleName(l.text, containingFile, compilerOptions, host).resolvedModule : undefined,
    }));
  const program = ts.createProgram(routeFiles, compilerOptions, host);
  const checker = program.getTypeChecker();
  const violations: Violation[] = [];
  const own = (sf: ts.SourceFile) => !sf.isDeclarationFile && !sf.fileName.includes("/node_modules/");
  const rel = (file: string) => path.relative(options.root, file);

  for (const file of routeFiles) {
    const entry = program.getSourceFile(file);
    if (!entry) throw new Error(`not in the program: ${file}`);
    const seen = { client: new Set<ts.Node>(), load: new Set<ts.Node>() };
    const modulesReached = new Set<ts.SourceFile>();
    const queue: { node: ts.Node; via: string; mode: Mode }[] = [];
    const reach = (node: ts.Node, via: string, mode: Mode) => {
      if (seen.client.has(node) || seen[mode].has(node)) return;
      seen[mode].add(node);
      queue.push({ node, via, mode });
    };
    // A module the browser loads runs its top-level side effects, whatever is used from it.
    const reachModule = (sf: ts.SourceFile) => {
      if (modulesReached.has(sf)) return;
      modulesReached.add(sf);
      for (const s of sf.statements) if (hasSideEffects(s)) reach(s, `${rel(sf.fileName)} (module-level code)`, "load");
    };

    reachModule(entry);
    for (const s of entry.statements) {
      for (const name of clientExportNames(s)) reach(s, `${rel(file)} export ${name}`, "client");
    }

    while (queue.length) {
      const { node, via, mode } = queue.shift()!;
      const report = (id: ts.Node, name: string, from: string) => {
        const sf = id.getSourceFile();
        const line = sf.getLineAndCharacterOfPosition(id.getStart(sf)).line + 1;
        const at = `${rel(sf.fileName)}:${line}`;
        // One report per use, from whichever root reached it first.
        if (!violations.some((v) => v.at === at && v.name === name)) violations.push({ at, name, from, via });
      };
      const visit = (n: ts.Node): void => {
        // `class A extends B`: B is a value (its node kind counts as a type node).
        if (
          ts.isExpressionWithTypeArguments(n) &&
          ts.isHeritageClause(n.parent) &&
          n.parent.token === ts.SyntaxKind.ExtendsKeyword &&
          !ts.isInterfaceDeclaration(n.parent.parent)
        ) {
          return visit(n.expression);
        }
        // Erased before the browser sees it.
        if (ts.isTypeNode(n) || ts.isInterfaceDeclaration(n) || ts.isTypeAliasDeclaration(n) || ts.isImportDeclaration(n)) return;
        if (ts.isExportDeclaration(n) && n.isTypeOnly) return;
        // At module load, function bodies do not run yet.
        if (mode === "load" && isDeferred(n)) return;
        if (ts.isIdentifier(n)) {
          const symbol =
            ts.isShorthandPropertyAssignment(n.parent) && n.parent.name === n
              ? checker.getShorthandAssignmentValueSymbol(n.parent)
              : checker.getSymbolAtLocation(n);
          if (symbol) follow(n, symbol);
          return;
        }
        ts.forEachChild(n, visit);
      };
      const follow = (id: ts.Identifier, symbol: ts.Symbol) => {
        // In code run at module load, an undefined value only breaks the page where it is called or dereferenced
        // (a schema holding it breaks only where it is used, and that use is followed from the client exports).
        const called = isCallee(id);
        if (mode === "load" && !called && !isDereferenced(id)) {
          if (symbol.flags & ts.SymbolFlags.Alias) for (const sf of ownModulesOf(symbol)) reachModule(sf);
          return;
        }
        // What a call at load runs, runs in the browser: its whole body counts.
        const next: Mode = mode === "load" && !called ? "load" : "client";
        if (symbol.flags & ts.SymbolFlags.Alias) {
          const decl = symbol.declarations?.[0];
          if (!decl || isTypeOnlyImport(decl)) return;
          const specifier = moduleSpecifierOf(decl);
          if (specifier && isServerModule(specifier)) return report(id, id.text, specifier);
          const target = checker.getAliasedSymbol(symbol);
          for (const d of target.declarations ?? []) {
            const sf = d.getSourceFile();
            if (!own(sf)) continue;
            if (isServerModule(sf.fileName)) return report(id, id.text, rel(sf.fileName));
            reachModule(sf);
            // `import * as m`: the whole module, conservatively.
            if (ts.isSourceFile(d)) for (const s of d.statements) reach(s, via, next);
            else reach(topLevelStatement(d), via, next);
          }
          return;
        }
        for (const d of symbol.declarations ?? []) {
          const sf = d.getSourceFile();
          if (!own(sf)) continue;
          const top = topLevelStatement(d);
          // Locals and parameters live inside a statement already being visited.
          if (top !== d && !isDeclarationOfTopLevel(d, top)) continue;
          reach(top, via, next);
        }
      };
      const ownModulesOf = (alias: ts.Symbol): ts.SourceFile[] => {
        const decl = alias.declarations?.[0];
        if (!decl || isTypeOnlyImport(decl)) return [];
        return (checker.getAliasedSymbol(alias).declarations ?? []).map((d) => d.getSourceFile()).filter((sf) => own(sf) && !isServerModule(sf.fileName));
      };
      visit(node);
    }
  }
  return violations;
}

/** Code inside these runs when called, not when the module loads. */
function isDeferred(n: ts.Node): boolean {
  if (ts.isArrowFunction(n) || ts.isFunctionExpression(n) || ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n)) return true;
  if (ts.isGetAccessor(n) || ts.isSetAccessor(n) || ts.isConstructorDeclaration(n)) return true;
  return ts.isPropertyDeclaration(n) && !(ts.getCombinedModifierFlags(n) & ts.ModifierFlags.Static);
}

/** `f()`, `new F()`, f`…` */
function isCallee(id: ts.Identifier): boolean {
  const p = id.parent;
  return ((ts.isCallExpression(p) || ts.isNewExpression(p)) && p.expression === id) || (ts.isTaggedTemplateExpression(p) && p.tag === id);
}

/** `x.y`, `x[y]`, `...x`: throws when x is undefined. */
function isDereferenced(id: ts.Identifier): boolean {
  const p = id.parent;
  return ((ts.isPropertyAccessExpression(p) || ts.isElementAccessExpression(p)) && p.expression === id) || ts.isSpreadElement(p) || ts.isSpreadAssignment(p);
}

/** The client export names a top-level statement declares. */
function clientExportNames(s: ts.Statement): string[] {
  const mods = ts.canHaveModifiers(s) ? (ts.getModifiers(s) ?? []) : [];
  const exported = mods.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
  const isDefault = mods.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword);
  if (ts.isExportAssignment(s)) return ["default"];
  if ((ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s)) && exported) {
    const name = isDefault ? "default" : s.name?.text;
    return name && CLIENT_EXPORTS.has(name) ? [name] : [];
  }
  if (ts.isVariableStatement(s) && exported) {
    return s.declarationList.declarations.flatMap((d) => (ts.isIdentifier(d.name) && CLIENT_EXPORTS.has(d.name.text) ? [d.name.text] : []));
  }
  if (ts.isExportDeclaration(s) && !s.isTypeOnly && s.exportClause && ts.isNamedExports(s.exportClause)) {
    // `export { Page as default }` (visited: its identifiers lead to the declarations).
    return s.exportClause.elements.filter((e) => !e.isTypeOnly && CLIENT_EXPORTS.has(e.name.text)).map((e) => e.name.text);
  }
  return [];
}

/** Code that runs when the module loads (the bundler keeps it even if nothing is used). */
function hasSideEffects(s: ts.Statement): boolean {
  if (ts.isImportDeclaration(s) || ts.isInterfaceDeclaration(s) || ts.isTypeAliasDeclaration(s) || ts.isFunctionDeclaration(s)) return false;
  if (ts.isExportDeclaration(s) || ts.isModuleDeclaration(s) || ts.isEnumDeclaration(s) || ts.isEmptyStatement(s)) return false;
  if (ts.isClassDeclaration(s))
    return s.members.some((m) => ts.isClassStaticBlockDeclaration(m) || (ts.isPropertyDeclaration(m) && !!m.initializer && runsCode(m.initializer)));
  if (ts.isVariableStatement(s)) return s.declarationList.declarations.some((d) => !!d.initializer && runsCode(d.initializer));
  if (ts.isExportAssignment(s)) return runsCode(s.expression);
  return true;
}

/** Whether evaluating the expression calls anything (function bodies inside it do not run yet). */
function runsCode(e: ts.Node): boolean {
  if (ts.isArrowFunction(e) || ts.isFunctionExpression(e) || ts.isClassExpression(e)) return false;
  if (ts.isCallExpression(e) || ts.isNewExpression(e) || ts.isTaggedTemplateExpression(e) || ts.isAwaitExpression(e)) return true;
  if (ts.isJsxElement(e) || ts.isJsxSelfClosingElement(e) || ts.isJsxFragment(e)) return true;
  return ts.forEachChild(e, (c) => (runsCode(c) ? true : undefined)) ?? false;
}

function topLevelStatement(n: ts.Node): ts.Node {
  let cur = n;
  while (cur.parent && !ts.isSourceFile(cur.parent)) cur = cur.parent;
  return cur;
}

/** A variable declared by a top-level `const a = …, b = …` (or a destructuring of one), not a local. */
function isDeclarationOfTopLevel(d: ts.Node, top: ts.Node): boolean {
  if (!ts.isVariableStatement(top)) return false;
  for (let cur: ts.Node | undefined = d; cur && cur !== top; cur = cur.parent) {
    if (ts.isFunctionLike(cur) || ts.isBlock(cur) || ts.isClassLike(cur)) return false;
  }
  return true;
}

function isTypeOnlyImport(decl: ts.Declaration): boolean {
  if (ts.isImportSpecifier(decl) || ts.isExportSpecifier(decl)) return decl.isTypeOnly || importClauseOf(decl)?.isTypeOnly === true;
  if (ts.isImportClause(decl)) return decl.isTypeOnly;
  if (ts.isNamespaceImport(decl)) return decl.parent.isTypeOnly;
  return false;
}

function importClauseOf(decl: ts.ImportSpecifier | ts.ExportSpecifier): ts.ImportClause | undefined {
  return ts.isImportSpecifier(decl) ? decl.parent.parent : undefined;
}

function moduleSpecifierOf(decl: ts.Declaration): string | undefined {
  for (let cur: ts.Node | undefined = decl; cur; cur = cur.parent) {
    if ((ts.isImportDeclaration(cur) || ts.isExportDeclaration(cur)) && cur.moduleSpecifier && ts.isStringLiteral(cur.moduleSpecifier))
      return cur.moduleSpecifier.text;
    if (ts.isImportEqualsDeclaration(cur) && ts.isExternalModuleReference(cur.moduleReference) && ts.isStringLiteral(cur.moduleReference.expression)) {
      return cur.moduleReference.expression.text;
    }
  }
  return undefined;
}
