import * as vscode from "vscode";
import { type FlowUi, type TestOutcome, testMessage } from "../connections/add-connection-flow.js";
import { type ConnectionSpec, runnerConnectionBody } from "../connections/connection-spec.js";
import type { RunnerService } from "./runner-service.js";
import type { Logger } from "./logger.js";

/** The Add Connection flow's prompts as VS Code QuickPick/InputBox, with the test run by the runner. */
export function vscodeFlowUi(runner: RunnerService, logger: Logger): FlowUi {
  return {
    async pick(items, options) {
      const picked = await vscode.window.showQuickPick(
        items.map((item) => ({ ...item })),
        { title: `${options.title} (${options.step}/${options.totalSteps})`, placeHolder: options.placeholder, ignoreFocusOut: true },
      );
      return picked ? items.find((i) => i.label === picked.label) : undefined;
    },
    input(options) {
      return Promise.resolve(
        vscode.window.showInputBox({
          title: `${options.title} (${options.step}/${options.totalSteps})`,
          prompt: options.prompt,
          value: options.value,
          placeHolder: options.placeholder,
          password: options.password,
          ignoreFocusOut: true,
          validateInput: options.validate ? (value) => options.validate!(value) ?? null : undefined,
        }),
      );
    },
    async test(spec: ConnectionSpec, password: string | undefined): Promise<TestOutcome> {
      logger.redactor.add(password);
      return vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `DataBridge: testing ${spec.name}…` },
        async () => {
          try {
            await runner.ready();
            const result = await runner.client.testUnsavedConnection(runnerConnectionBody(spec, password));
            const outcome: TestOutcome = result.ok ? { ok: true, version: result.serverVersion ?? "connected" } : { ok: false, message: result.error ?? "the test failed" };
            logger.info(`connections: ${testMessage(outcome, spec)}`);
            return outcome;
          } catch (error) {
            const outcome: TestOutcome = { ok: false, message: (error as Error).message };
            logger.error(`connections: ${testMessage(outcome, spec)}`);
            return outcome;
          }
        },
      );
    },
    async decide(outcome, spec) {
      const message = testMessage(outcome, spec);
      const save = "Save";
      const edit = "Edit";
      const saveAnyway = "Save Anyway";
      const action = outcome.ok
        ? await vscode.window.showInformationMessage(message, { modal: false }, save, edit)
        : await vscode.window.showErrorMessage(message, edit, saveAnyway);
      if (action === save || action === saveAnyway) return "save";
      if (action === edit) return "edit";
      return "cancel";
    },
  };
}
