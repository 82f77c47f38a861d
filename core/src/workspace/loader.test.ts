import { describe, it, expect } from "vitest";
import { describeLoadFailure } from "./loader.js";

describe("describeLoadFailure", () => {
  it("a syntax error from the loader's parser: its message and 1-based position in the file", () => {
    const error = new Error('ParseError: Unexpected token, expected ","  \n /ws/pipelines/a.etl.ts:4:33');
    expect(describeLoadFailure(error, "/ws/pipelines/a.etl.ts")).toEqual({
      message: 'syntax error: Unexpected token, expected ","', location: { file: "/ws/pipelines/a.etl.ts", line: 4, column: 34 },
    });
  });

  it("an error thrown while the module ran: placed by line from its stack, no column (it counts in transformed code)", () => {
    const error = new ReferenceError("undefinedThing is not defined");
    error.stack = "ReferenceError: undefinedThing is not defined\n    at /ws/pipelines/a.etl.ts:3:21\n    at eval_evalModule (/x/jiti.cjs:1:184467)";
    expect(describeLoadFailure(error, "/ws/pipelines/a.etl.ts")).toEqual({ message: "undefinedThing is not defined (line 3)" });
    expect(describeLoadFailure(new Error("Cannot find module './x.js'\nRequire stack:\n- /ws/pipelines/a.etl.ts"), "/ws/pipelines/a.etl.ts")).toEqual({ message: "Cannot find module './x.js'" });
  });
});
