import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmbeddedPlaces, isWithin, realLocation } from "./embedded-places.js";

/** A real folder tree with symlinks: the workspace, its .databridge/state, and a place outside it. */
describe("embedded database places (what the runner lets a URL open)", () => {
  let top: string;
  let root: string;
  let outside: string;
  let places: EmbeddedPlaces;

  beforeAll(() => {
    top = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "databridge-places-")));
    root = path.join(top, "workspace");
    outside = path.join(top, "elsewhere");
    fs.mkdirSync(path.join(root, ".databridge", "state"), { recursive: true });
    fs.mkdirSync(path.join(root, "data"), { recursive: true });
    fs.mkdirSync(outside);
    fs.symlinkSync(path.join(root, ".databridge", "state"), path.join(root, "data", "state-link"));
    fs.symlinkSync(outside, path.join(root, "data", "out-link"));
    fs.symlinkSync(path.join(outside, "not-yet"), path.join(root, "data", "dangling"));
    fs.symlinkSync(path.join(root, "data", "loop-b"), path.join(root, "data", "loop-a"));
    fs.symlinkSync(path.join(root, "data", "loop-a"), path.join(root, "data", "loop-b"));
    places = new EmbeddedPlaces(root, path.join(root, ".databridge", "state"));
  });

  afterAll(() => fs.rmSync(top, { recursive: true, force: true }));

  it("resolves .. and symlinks, also through folders that do not exist yet", () => {
    expect(realLocation(path.join(root, "data", "a", "..", "b", "c"))).toBe(path.join(root, "data", "b", "c"));
    expect(realLocation(path.join(root, "data", "state-link"))).toBe(path.join(root, ".databridge", "state"));
    expect(realLocation(path.join(root, "data", "out-link", "new", "db"))).toBe(path.join(outside, "new", "db"));
    expect(realLocation(path.join(root, "data", "dangling", "db"))).toBe(path.join(outside, "not-yet", "db"));
    expect(() => realLocation(path.join(root, "data", "loop-a", "db"))).toThrow(/too many symbolic links/);
    expect(fs.existsSync(path.join(root, "data", "b"))).toBe(false);
  });

  it("isWithin compares whole path segments", () => {
    expect(isWithin("/w/data", "/w")).toBe(true);
    expect(isWithin("/w", "/w")).toBe(true);
    expect(isWithin("/work", "/w")).toBe(false);
    expect(isWithin("/w/..x", "/w")).toBe(true);
    expect(isWithin("/", "/w")).toBe(false);
  });

  it("a client may name a folder inside the workspace, never its state, .databridge/, the workspace itself or anything outside", () => {
    const at = (relative: string) => path.join(root, relative);
    expect(places.refusal(at("data/db"), "client")).toBeUndefined();
    expect(places.refusal(at("data/brand/new/db"), "client")).toBeUndefined();
    expect(places.refusal(at(".databridge/state"), "client")).toMatch(/is the runner's own state database$/);
    expect(places.refusal(at(".databridge/state/base"), "client")).toMatch(/is the runner's own state database$/);
    expect(places.refusal(at("data/../.databridge/state"), "client")).toMatch(/state database$/);
    expect(places.refusal(at("data/state-link"), "client")).toBe(`${at("data/state-link")} (really ${at(".databridge/state")}) is the runner's own state database`);
    expect(places.refusal(at(".databridge"), "client")).toMatch(/would hold the runner's folder \.databridge\/$/);
    expect(places.refusal(root, "client")).toMatch(/would hold the runner's folder/);
    expect(places.refusal(top, "client")).toMatch(/would hold the runner's folder/);
    expect(places.refusal(at(".databridge/legacy"), "client")).toMatch(/is inside \.databridge\/, the runner's own folder/);
    expect(places.refusal(at("../../../tmp/x"), "client")).toMatch(/ is outside the workspace /);
    expect(places.refusal(path.join(outside, "db"), "client")).toMatch(/ is outside the workspace /);
    expect(places.refusal(at("data/out-link/db"), "client")).toBe(`${at("data/out-link/db")} (really ${path.join(outside, "db")}) is outside the workspace ${root}`);
    expect(places.refusal(at("data/dangling"), "client")).toMatch(/really .*elsewhere\/not-yet\) is outside the workspace/);
    expect(places.refusal(at("data/loop-a/db"), "client")).toMatch(/cannot be resolved \(too many symbolic links/);
  });

  it("databridge.config.ts may name any place (its embedded databases live in .databridge/ too), but never the state database or a folder holding .databridge/", () => {
    const at = (relative: string) => path.join(root, relative);
    expect(places.refusal(at(".databridge/legacy"), "config")).toBeUndefined();
    expect(places.refusal(path.join(outside, "db"), "config")).toBeUndefined();
    expect(places.refusal(at(".databridge/state"), "config")).toMatch(/state database$/);
    expect(places.refusal(at("data/state-link"), "config")).toMatch(/state database$/);
    expect(places.refusal(root, "config")).toMatch(/would hold the runner's folder/);
  });

  it("with the state in PostgreSQL, .databridge/ is still the runner's", () => {
    const postgresState = new EmbeddedPlaces(root, undefined);
    expect(postgresState.refusal(path.join(root, ".databridge", "state"), "client")).toMatch(/inside \.databridge\//);
    expect(postgresState.refusal(path.join(root, ".databridge", "state"), "config")).toBeUndefined();
    expect(postgresState.refusal(path.join(root, "data", "db"), "client")).toBeUndefined();
  });

  it("a state database elsewhere (DATABRIDGE_STATE_URL=pglite:…) is refused too, as is a folder holding it", () => {
    const custom = new EmbeddedPlaces(root, path.join(root, "data", "runner-state"));
    expect(custom.refusal(path.join(root, "data", "runner-state"), "config")).toMatch(/is the runner's own state database$/);
    expect(custom.refusal(path.join(root, "data"), "config")).toMatch(/would hold the runner's own state database$/);
    expect(custom.refusal(path.join(root, "data", "other"), "client")).toBeUndefined();
  });
});
