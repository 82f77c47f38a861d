import { svg } from "../dom.js";

export interface GraphNode {
  name: string;
  dependsOn: string[];
  detail?: string;
}

/** The pipeline dependency graph: columns by depth (a pipeline sits right of everything it depends on). */
export function dependencyGraph(nodes: GraphNode[], onSelect?: (name: string) => void): SVGElement {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const depth = new Map<string, number>();
  const depthOf = (name: string, seen: Set<string> = new Set()): number => {
    if (depth.has(name)) return depth.get(name)!;
    if (seen.has(name)) return 0;
    seen.add(name);
    const deps = (byName.get(name)?.dependsOn ?? []).filter((d) => byName.has(d));
    const value = deps.length ? 1 + Math.max(...deps.map((d) => depthOf(d, seen))) : 0;
    depth.set(name, value);
    return value;
  };
  nodes.forEach((n) => depthOf(n.name));
  const columns: string[][] = [];
  for (const node of nodes) (columns[depth.get(node.name)!] ??= []).push(node.name);
  const boxW = 170, boxH = 44, gapX = 70, gapY = 18, pad = 12;
  const width = pad * 2 + columns.length * boxW + Math.max(0, columns.length - 1) * gapX;
  const height = pad * 2 + Math.max(1, ...columns.map((c) => c.length)) * (boxH + gapY) - gapY;
  const position = new Map<string, { x: number; y: number }>();
  columns.forEach((column, i) => column.forEach((name, j) => position.set(name, { x: pad + i * (boxW + gapX), y: pad + j * (boxH + gapY) })));
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, width: Math.min(width, 1000), height: (Math.min(width, 1000) / width) * height, class: "graph", "data-testid": "dependency-graph" });
  root.append(svg("defs", {}, svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, svg("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "graph-arrow" }))));
  for (const node of nodes) {
    for (const dependency of node.dependsOn) {
      const from = position.get(dependency);
      const to = position.get(node.name);
      if (!from || !to) continue;
      const x1 = from.x + boxW, y1 = from.y + boxH / 2, x2 = to.x, y2 = to.y + boxH / 2;
      root.append(svg("path", { d: `M ${x1} ${y1} C ${x1 + gapX / 2} ${y1}, ${x2 - gapX / 2} ${y2}, ${x2} ${y2}`, class: "graph-edge", "marker-end": "url(#arrow)", "data-from": dependency, "data-to": node.name }));
    }
  }
  for (const node of nodes) {
    const { x, y } = position.get(node.name)!;
    const group = svg("g", { class: "graph-node", transform: `translate(${x},${y})`, "data-pipeline": node.name },
      svg("rect", { width: boxW, height: boxH, rx: 8 }),
      svg("text", { x: 10, y: 18, class: "graph-name" }, node.name.length > 22 ? `${node.name.slice(0, 21)}…` : node.name),
      svg("text", { x: 10, y: 34, class: "graph-detail" }, (node.detail ?? "").slice(0, 27)),
    );
    if (onSelect) group.addEventListener("click", () => onSelect(node.name));
    root.append(group);
  }
  return root;
}
