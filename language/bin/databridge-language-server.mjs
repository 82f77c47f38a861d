#!/usr/bin/env node
// The DataBridge language server. Transport from the arguments: --stdio, --node-ipc or --socket=<port>.
import { startServer } from "../dist/server.js";
startServer();
