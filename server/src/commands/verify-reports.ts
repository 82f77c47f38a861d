import fs from "node:fs";
import path from "node:path";
import { verifyReportToHtml, verifyReportToJUnit, type VerifyReport } from "@databridge/core";

// The report files of `databridge verify`, shared by the CLI and the runner's `POST /verify`.

/** The default name of a report's folder (and the runner's report id): its time, safe in a file name and a URL. */
export const verifyReportId = (report: VerifyReport): string => report.generatedAt.replace(/[:.]/g, "-");

/** Where `verify` writes a report by default: `.databridge/reports/<id>` of the workspace. */
export const verifyReportDir = (rootDir: string, reportId: string): string => path.join(rootDir, ".databridge", "reports", reportId);

/** Writes the report as JSON, HTML and JUnit XML; returns the file paths. */
export function writeVerifyReports(report: VerifyReport, dir: string): { json: string; html: string; junit: string } {
  fs.mkdirSync(dir, { recursive: true });
  const files = { json: path.join(dir, "verify.json"), html: path.join(dir, "verify.html"), junit: path.join(dir, "verify.junit.xml") };
  fs.writeFileSync(files.json, JSON.stringify(report, null, 2));
  fs.writeFileSync(files.html, verifyReportToHtml(report));
  fs.writeFileSync(files.junit, verifyReportToJUnit(report));
  return files;
}
